// Probes: /healthz (the process lives) and /readyz (a real database query succeeds). /readyz answers
// exactly `{"status":"ready"}` as SPEC §2 fixes it, with `warnings` only when something needs an
// operator (a published file that cannot be written, failing writes, a held mass offline, and with
// several masters a master out of contact or no leader); the cluster's details are GET /cluster's.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ReadinessCheck } from '../../sweeping/readiness.js';
import { STALE_AFTER_LEASES, type ClusterInfo } from '../../cluster/leadership.js';
import { Type } from '@sinclair/typebox';


/** Options of the probes. */
export interface HealthOptions {
  tokens: boolean;
  /** The cluster as the database sees it, and the lease length (to tell a master out of contact). */
  cluster?: { info: () => Promise<ClusterInfo>; leaseSeconds: number };
}

/** Warnings of /readyz for masters out of contact and a missing leader; null when unknown. */
async function clusterPart(options: HealthOptions['cluster']) {
  if (!options) return null;
  let info: ClusterInfo;
  try {
    info = await options.info();
  } catch {
    return null; // the database failed: readiness already says so
  }
  const warnings: string[] = [];
  const leader = info.leader?.live ? info.leader.instance : null;
  if (!leader) warnings.push(info.leader ? `no leader: the lease of ${info.leader.instance} ran out at ${info.leader.lease_expires}` : 'no leader yet');
  const staleS = STALE_AFTER_LEASES * options.leaseSeconds;
  for (const m of info.masters) {
    // Within an hour of its last contact; older rows are masters gone for good (removed after a day).
    if (m.seconds_since_contact > staleS && m.seconds_since_contact < 3_600) warnings.push(`master ${m.instance}: no contact for ${Math.round(m.seconds_since_contact)} s`);
  }
  return { warnings };
}

/** Registers the probes under the prefix the plugin is mounted at. */
export function healthRoutes(readiness: ReadinessCheck, options: HealthOptions = { tokens: false }) {
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/healthz', { config: { access: 'open' }, schema: { response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({
      status: 'ok',
    }));
    app.get(
      '/readyz',
      {
        config: { access: 'open' },
        schema: {
          response: {
            200: Type.Object({ status: Type.String(), warnings: Type.Optional(Type.Array(Type.String())) }),
            503: Type.Object({ error: Type.String(), warnings: Type.Optional(Type.Array(Type.String())) }),
          },
        },
      },
      async (request, reply) => {
        const [r, c] = await Promise.all([readiness(), clusterPart(options.cluster)]);
        // In token mode, details (file paths, error texts, master names) only for a caller with a valid token.
        const detailed = !options.tokens || request.principal !== null;
        const warnings = r.warnings.map((w) => (detailed ? w.message : w.summary));
        if (c && detailed) warnings.push(...c.warnings);
        const extra = warnings.length > 0 ? { warnings } : {};
        if (!r.ready) {
          request.log.warn({ reason: r.error, warnings }, 'not ready');
          return reply.code(503).send({ error: r.error, ...extra });
        }
        // Warnings (a published file that cannot be written, a held mass offline, failing writes, a
        // master out of contact) do not stop the API.
        return { status: 'ready', ...extra };
      },
    );
  };
}
