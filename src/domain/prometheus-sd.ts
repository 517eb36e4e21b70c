// Prometheus service discovery: the target groups of http_sd_config and file_sd_config, one group per
// node. Pure.
import type { PublishedNode } from './node.js';

/** One target group, as Prometheus reads it. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Replaces every character outside [a-zA-Z0-9_] by `_` (a valid Prometheus label name suffix). */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function isIPv6(s: string): boolean {
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const parts = halves.flatMap(groups);
  // An embedded IPv4 address (::ffff:10.0.0.1) takes the place of the last two groups.
  const last = parts.at(-1);
  const v4 = last !== undefined && last.includes('.');
  if (v4 && !IPV4.test(last)) return false;
  const hex = v4 ? parts.slice(0, -1) : parts;
  if (!hex.every((g) => HEX_GROUP.test(g))) return false;
  const count = hex.length + (v4 ? 2 : 0);
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * Whether `host` may become a scrape target: an IPv4 or IPv6 address, or an RFC 1123 host name (labels
 * of letters, digits and `-`, 1–63 characters, not starting or ending with `-`; 253 in all). Anything
 * else (`"a b\nc"`, `"master.internal/metrics?x="`, `"[10.0.0.1:22]"`) is left out of discovery.
 */
export function isScrapeHost(host: string): boolean {
  if (IPV4.test(host) || (host.includes(':') && isIPv6(host))) return true;
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  // A name whose last label is all digits is a mistyped address (300.1.1.1), not a name (RFC 3696).
  if (/^\d+$/.test(labels.at(-1)!)) return false;
  return labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * The group of one node: a target per port on its `meta_data.ip` (or its hostname when it sent no ip;
 * no group when it has neither, or when that host is not `isScrapeHost`), and labels `__meta_argus_*`:
 * node_id, name, hostname, user, instance, env, version, status, `labels` in Prometheus's `,a,b,` list
 * convention, `label_<name>="true"` per label with the name sanitised to [a-zA-Z0-9_], and for each
 * key/value label `label_<key>=<value>` (SPEC §12; the first label of a sanitised key wins, over a
 * plain label's "true" too); `health` and the `failing` components (`,a,b,`, SPEC §14), and
 * `maintenance` ("true"/"false", SPEC §13).
 */
export function toTargetGroup(node: PublishedNode, ports: readonly number[]): TargetGroup | null {
  const host = str(node.metaData.ip) || str(node.metaData.hostname);
  if (host === '' || !isScrapeHost(host)) return null;
  const labels: Record<string, string> = {
    __meta_argus_node_id: node.id,
    __meta_argus_name: node.name,
    __meta_argus_hostname: str(node.metaData.hostname),
    __meta_argus_user: str(node.metaData.user),
    __meta_argus_instance: str(node.metaData.instance),
    __meta_argus_env: str(node.metaData.env),
    __meta_argus_version: node.version,
    __meta_argus_status: node.status,
    __meta_argus_labels: `,${node.label.join(',')},`,
    __meta_argus_health: node.healthState,
    __meta_argus_failing: `,${node.conditions.map((c) => c.component).join(',')},`,
    __meta_argus_maintenance: node.maintenance === null ? 'false' : 'true',
  };
  for (const label of node.label) labels[`__meta_argus_label_${sanitizeLabelName(label)}`] = 'true';
  const valued = new Set<string>();
  for (const label of node.label) {
    const eq = label.indexOf('=');
    if (eq < 0) continue;
    const name = `__meta_argus_label_${sanitizeLabelName(label.slice(0, eq))}`;
    if (valued.has(name)) continue;
    valued.add(name);
    labels[name] = label.slice(eq + 1);
  }
  return { targets: ports.map((p) => hostPort(host, p)), labels };
}

/**
 * The groups of the given nodes (already filtered and ordered by ID number). The store renders the same
 * document in SQL (http_sd and file_sd); its contract suite holds it equal to this.
 */
export function toTargetGroups(nodes: readonly PublishedNode[], ports: readonly number[]): TargetGroup[] {
  return nodes.map((n) => toTargetGroup(n, ports)).filter((g): g is TargetGroup => g !== null);
}
