// Requests from browsers (they carry an Origin header): a page of another site must not change the fleet,
// nor read it through a name of its own (DNS rebinding). Guarantees, for every route, the dashboard's too:
// - a request with an Origin must be sent to a name of this master (its Host header): an IP address,
//   `localhost`, this machine's host name, or a name listed in ALLOWED_HOSTS; otherwise 403. A rebinding
//   page is served from its own DNS name, which is none of these;
// - a state-changing request (anything but GET, HEAD, OPTIONS) with an Origin must come from this
//   origin: the Origin names the Host (or X-Forwarded-Host, behind a proxy); otherwise 403. A cross-site
//   `fetch` cannot forge either header;
// - a request without an Origin (agents, curl, scripts) passes, under any name.
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden } from '../errors.js';

/** Methods that change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host name of a Host header value (`[::1]:3000` → `::1`, `Argus.example:80` → `argus.example`); null when it does not parse. */
function hostNameOf(host: string): string | null {
  try {
    const name = new URL(`http://${host}`).hostname.toLowerCase();
    return name.startsWith('[') ? name.slice(1, -1) : name;
  } catch {
    return null;
  }
}

/**
 * Whether `host` (a Host header) names this master: an IP address, `localhost` (or a name under it),
 * this machine's host name (short or full), or one of `allowed` (a name, or `.example.com` for every
 * name under that domain).
 */
export function isOwnHost(host: string | undefined, allowed: readonly string[]): boolean {
  const name = host === undefined ? null : hostNameOf(host);
  if (name === null || name === '') return false;
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  const own = hostname().toLowerCase();
  if (name === own || name === own.split('.')[0]) return true;
  return allowed.some((a) => {
    const entry = a.toLowerCase();
    return entry.startsWith('.') ? name.endsWith(entry) || name === entry.slice(1) : name === entry;
  });
}

/**
 * Whether the request comes from a page of this master: its Origin header names the host the request
 * was sent to (the Host header, or X-Forwarded-Host behind a proxy). The scheme is not compared: a TLS
 * proxy in front makes the browser's https:// origin reach us as http.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin === 'null') return false;
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return false;
  }
  // Each host as a URL of the origin's scheme would write it (a default port left out).
  const asHost = (h: string) => {
    try {
      return new URL(`${from.protocol}//${h}`).host;
    } catch {
      return null;
    }
  };
  const forwarded = request.headers['x-forwarded-host'];
  const hosts = [request.headers.host ?? '', ...(typeof forwarded === 'string' ? forwarded.split(',') : [])].map((h) => asHost(h.trim()));
  return hosts.includes(from.host);
}

/** The checks as a plugin whose hook covers every route of the app; `allowedHosts` is ALLOWED_HOSTS. */
export const originChecks = fp(async function plugin(app: FastifyInstance, options: { allowedHosts: readonly string[] }) {
  app.addHook('onRequest', async (request) => {
    if (request.headers.origin === undefined) return;
    if (!isOwnHost(request.headers.host, options.allowedHosts)) {
      throw forbidden(`requests from a browser must be sent to a name of this master, not ${JSON.stringify(request.headers.host ?? '')} (add it to ALLOWED_HOSTS)`);
    }
    if (!SAFE_METHODS.has(request.method) && !sameOrigin(request)) {
      throw forbidden('cross-origin request refused: the Origin header must name this master');
    }
  });
}, { name: 'argus-origin-checks' });
