// How setting values are read: listen addresses, port lists, booleans. Pure.

/** Parses `HOST:PORT`, `[IPV6]:PORT` or `:PORT` (all interfaces); undefined when malformed. */
export function parseBind(raw: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(raw);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!);
  return { host, port };
}

/** Parses `9100` or `9100,9400` (also used for the `?port=` query); undefined when any part is not a port. */
export function parsePorts(raw: string): number[] | undefined {
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535)) return undefined;
  return [...new Set(parts.map(Number))];
}

/** `1 true yes on` or `0 false no off` (any case); undefined otherwise. */
export function parseBool(raw: string): boolean | undefined {
  const v = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return undefined;
}

