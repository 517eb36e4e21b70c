// The operator's commands (SPEC §16), each over the HTTP API of any master (api.ts) and printed by
// output.ts. Types are the API's own (http/schemas.ts): a field renamed there fails the typecheck here.
import type { Static } from '@sinclair/typebox';
import type { AvailabilityJson, DeliveryJson, EndpointJson, GroupedAvailabilityJson, GroupedStatisticsJson, NodeJson, NodeSummaryJson, StatisticsJson, WindowJson } from '../http/schemas.js';
import { percentOf } from '../domain/availability.js';
import { ClientError, EXIT, type Api } from './api.js';
import { details, relative, table, writeList, type Column, type Format, type Out } from './output.js';

type NodeSummary = Static<typeof NodeSummaryJson>;
type Node = Static<typeof NodeJson>;
type Window = Static<typeof WindowJson>;
type Endpoint = Static<typeof EndpointJson>;
type Delivery = Static<typeof DeliveryJson>;
type Statistics = Static<typeof StatisticsJson>;
type Grouped = Static<typeof GroupedStatisticsJson>;
type Group = Grouped['groups'][number];
type Event = { id: number; time: string; type: string; node_id?: string } & Record<string, unknown>;

/** What a command is given: the API, where to print, how, and its parsed flags and arguments. */
export interface Ctx {
  api: Api;
  out: Out;
  format: Format;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  signal: AbortSignal;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const q = (params: Record<string, string | undefined>) => {
  const s = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')).toString();
  return s === '' ? '' : `?${s}`;
};
const one = (c: Ctx, what: string) => {
  const id = c.positionals[0];
  if (!id) throw new ClientError(EXIT.usage, `argus-master: ${what} needs an ID`);
  return encodeURIComponent(id);
};
const printOne = (c: Ctx, obj: object) => (c.format === 'json' || c.format === 'ndjson' ? c.out.write(`${JSON.stringify(obj)}\n`) : details(c.out, obj as Record<string, unknown>));

/** `2h`, `30m`, `90s`, `1d`, `1h30m` in seconds; null when it is none of these. */
export function parseDuration(text: string): number | null {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return null;
  const [d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number];
  return d * 86_400 + h * 3_600 + min * 60 + s;
}
function durationOf(flag: string, text: unknown): number {
  const s = typeof text === 'string' ? parseDuration(text) : null;
  if (s === null || s <= 0) throw new ClientError(EXIT.usage, `argus-master: --${flag} must be a duration such as 90s, 30m, 2h or 1d (got ${JSON.stringify(text ?? '')})`);
  return s;
}

const NODE_COLUMNS: Column<NodeSummary>[] = [
  { header: 'ID', value: (n) => n.id },
  { header: 'NAME', value: (n) => n.name },
  { header: 'STATUS', value: (n) => n.status, colour: true },
  { header: 'TYPE', value: (n) => n.type, wide: true },
  { header: 'VERSION', value: (n) => n.version, wide: true },
];

export async function nodesLs(c: Ctx): Promise<number> {
  const limit = str(c.values.limit);
  if (limit !== undefined && !/^[1-9]\d{0,6}$/.test(limit)) throw new ClientError(EXIT.usage, '--limit must be a whole number from 1');
  const max = limit === undefined ? Number.POSITIVE_INFINITY : Number(limit);
  const pageSize = String(Math.min(1_000, max));
  const path = `/nodes${q({ selector: str(c.values.selector), status: str(c.values.status), limit: pageSize })}`;
  const n = await writeList(c.out, c.format, c.api.pages<NodeSummary>(path, max), NODE_COLUMNS);
  return n === 0 && c.values['fail-empty'] === true ? EXIT.notFound : EXIT.ok;
}

export async function nodesGet(c: Ctx): Promise<number> {
  const node = await c.api.json<Node>('GET', `/nodes/${one(c, 'nodes get')}`);
  if (c.format === 'table' || c.format === 'wide') {
    const { meta_data: meta, health, config, ...rest } = node;
    details(c.out, { ...rest, last_report: `${node.last_report ?? '-'} (${relative(node.last_report, c.out.nowMs)})`, meta_data: meta, health, config });
  } else printOne(c, node);
  return EXIT.ok;
}

export async function nodesRm(c: Ctx): Promise<number> {
  const id = one(c, 'nodes rm');
  await c.api.send('DELETE', `/nodes/${id}`);
  c.out.write(`${decodeURIComponent(id)} deregistered\n`);
  return EXIT.ok;
}

export async function nodesLabel(c: Ctx): Promise<number> {
  const id = one(c, 'nodes label');
  const list = (v: unknown) => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).flatMap((x) => String(x).split(',')).filter(Boolean);
  const add = list(c.values.add);
  const remove = new Set(list(c.values.remove));
  if (add.length === 0 && remove.size === 0) throw new ClientError(EXIT.usage, 'argus-master: nodes label needs --add and/or --remove');
  const node = await c.api.json<Node>('GET', `/nodes/${id}`);
  const label = [...node.label.filter((l) => !remove.has(l)), ...add.filter((l) => !node.label.includes(l) && !remove.has(l))];
  const after = await c.api.json<Node>('PUT', `/nodes/${id}/config`, { label });
  if (c.format === 'json' || c.format === 'ndjson') printOne(c, after);
  else c.out.write(`${after.id} labels: ${after.label.join(', ') || '(none)'}\n`);
  return EXIT.ok;
}

const EVENT_COLUMNS: Column<Event>[] = [
  { header: 'ID', value: (e) => String(e.id) },
  { header: 'TIME', value: (e) => e.time },
  { header: 'TYPE', value: (e) => e.type },
  { header: 'NODE', value: (e) => e.node_id ?? '-' },
  { header: 'DETAILS', value: (e) => Object.entries(e).filter(([k]) => !['id', 'time', 'type', 'node_id'].includes(k)).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') },
];

/** Follows the event stream, resuming after a drop; one line (or object) per event. */
async function follow(c: Ctx, path: string, after: number | null): Promise<number> {
  const format = c.format === 'table' && !c.out.isTTY ? 'ndjson' : c.format;
  try {
    for await (const e of c.api.stream(path, after, c.signal)) {
      if (format === 'json' || format === 'ndjson') c.out.write(`${e.data}\n`);
      else {
        const ev = JSON.parse(e.data) as Event;
        c.out.write(`${EVENT_COLUMNS.map((col) => col.value(ev)).join('  ')}\n`);
      }
    }
  } catch (err) {
    if (!c.signal.aborted) throw err;
  }
  return EXIT.ok;
}

export async function nodesWatch(c: Ctx): Promise<number> {
  const nodes = c.positionals.map(encodeURIComponent).join(',');
  return follow(c, `/events/stream${q({ node_id: nodes || undefined, type: str(c.values.type) })}`, null);
}

export async function events(c: Ctx): Promise<number> {
  const after = str(c.values.after);
  if (after !== undefined && !/^\d+$/.test(after)) throw new ClientError(EXIT.usage, 'argus-master: --after must be an event id (a whole number)');
  const filters = { type: str(c.values.type), node_id: str(c.values.node) };
  // Without --after, a follower starts at the stream's now; with it, right after that event.
  if (c.values.follow === true) return follow(c, `/events/stream${q(filters)}`, after === undefined ? null : Number(after));
  const api = c.api;
  const pages = async function* () {
    let from = after ?? '0';
    for (let i = 0; i < 1_000_000; i++) {
      const page = await api.json<Event[]>('GET', `/events${q({ ...filters, after: from, limit: '1000' })}`);
      yield page;
      if (page.length < 1000) return;
      from = String(page.at(-1)!.id);
    }
  };
  const n = await writeList(c.out, c.format, pages(), EVENT_COLUMNS);
  return n === 0 && c.values['fail-empty'] === true ? EXIT.notFound : EXIT.ok;
}

/** A list the API answers whole, as the one page `writeList` writes. */
const onePage = async function* <T>(list: T[]) {
  yield list;
};

const WINDOW_COLUMNS: Column<Window>[] = [
  { header: 'ID', value: (w) => w.id },
  { header: 'STATE', value: (w) => w.state, colour: true },
  { header: 'COVERS', value: (w) => [w.selector, ...w.nodes].filter(Boolean).join(' ') },
  { header: 'NODES', value: (w) => String(w.matched) },
  { header: 'ENDS', value: (w) => w.ends_at },
  { header: 'BY', value: (w) => w.actor, wide: true },
  { header: 'REASON', value: (w) => w.reason },
];

export async function maintAdd(c: Ctx): Promise<number> {
  const selector = str(c.values.selector);
  if (!selector && c.positionals.length === 0) throw new ClientError(EXIT.usage, 'argus-master: maint add needs node IDs and/or -l <selector>');
  const reason = str(c.values.reason);
  if (!reason) throw new ClientError(EXIT.usage, 'argus-master: maint add needs --reason "..."');
  const body = { selector, nodes: c.positionals.length > 0 ? c.positionals : undefined, reason, duration_seconds: durationOf('for', c.values.for) };
  const w = await c.api.json<Window>('POST', '/maintenance', body);
  if (c.format === 'json' || c.format === 'ndjson') printOne(c, w);
  else table(c.out, [w], WINDOW_COLUMNS, c.format === 'wide');
  return EXIT.ok;
}

export async function maintLs(c: Ctx): Promise<number> {
  const list = await c.api.json<Window[]>('GET', `/maintenance${q({ state: str(c.values.state) })}`);
  await writeList(c.out, c.format, onePage(list), WINDOW_COLUMNS);
  return list.length === 0 && c.values['fail-empty'] === true ? EXIT.notFound : EXIT.ok;
}

export async function maintEnd(c: Ctx): Promise<number> {
  const w = await c.api.json<Window>('DELETE', `/maintenance/${one(c, 'maint end')}`);
  if (c.format === 'json' || c.format === 'ndjson') printOne(c, w);
  else c.out.write(`${w.id} ${w.cancelled ? 'cancelled' : 'ended'}\n`);
  return EXIT.ok;
}

const HOOK_COLUMNS: Column<Endpoint>[] = [
  { header: 'ID', value: (e) => e.id },
  { header: 'NAME', value: (e) => e.name },
  { header: 'KIND', value: (e) => e.kind },
  { header: 'STATE', value: (e) => (e.enabled ? 'enabled' : 'disabled'), colour: true },
  { header: 'URL', value: (e) => e.url },
  { header: 'EVENTS', value: (e) => e.events.join(','), wide: true },
  { header: 'SELECTOR', value: (e) => e.selector, wide: true },
];

export async function hooks(c: Ctx, sub: string): Promise<number> {
  if (sub === 'ls') {
    const list = await c.api.json<Endpoint[]>('GET', '/notifications/endpoints');
    await writeList(c.out, c.format, onePage(list), HOOK_COLUMNS);
    return EXIT.ok;
  }
  if (sub === 'add') {
    const [name, url] = c.positionals;
    if (!name || !url) throw new ClientError(EXIT.usage, 'argus-master: hooks add needs a NAME and a URL');
    const events = str(c.values.events)?.split(',').filter(Boolean);
    const made = await c.api.json<Endpoint>('POST', '/notifications/endpoints', { name, url, kind: str(c.values.kind), events, selector: str(c.values.selector) });
    // The secret is the answer's own: shown this once, as the user asked for it (never logged).
    if (c.format === 'json' || c.format === 'ndjson') printOne(c, made);
    else c.out.write(`${made.id} added${made.secret ? `; its signing secret (shown once): ${made.secret}` : ''}\n`);
    return EXIT.ok;
  }
  const id = one(c, `hooks ${sub}`);
  if (sub === 'test') {
    const d = await c.api.json<Delivery>('POST', `/notifications/endpoints/${id}/test`);
    c.out.write(`${d.id} queued for ${d.endpoint}\n`);
  } else {
    await c.api.send('DELETE', `/notifications/endpoints/${id}`);
    c.out.write(`${decodeURIComponent(id)} removed\n`);
  }
  return EXIT.ok;
}

const GROUP_COLUMNS: Column<Group>[] = [
  { header: 'KEY', value: (g) => g.key ?? '(none)' },
  { header: 'TOTAL', value: (g) => String(g.total) },
  ...(['online', 'offline', 'initialized'] as const).map((s): Column<Group> => ({ header: s.toUpperCase(), value: (g) => String(g.status_statistics.find((x) => x.status === s)?.count ?? 0) })),
  { header: 'CPUS', value: (g) => String(g.capacity.cpu_number) },
  { header: 'GPUS', value: (g) => String(g.capacity.gpu_number) },
  { header: 'MEMORY GiB', value: (g) => (g.capacity.memory_in_bytes / 2 ** 30).toFixed(1) },
];

export async function stats(c: Ctx): Promise<number> {
  const by = str(c.values.by);
  const path = `/nodes/statistics${q({ by, selector: str(c.values.selector) })}`;
  if (c.format === 'json' || c.format === 'ndjson') {
    c.out.write(`${JSON.stringify(await c.api.json<unknown>('GET', path))}\n`);
  } else if (by !== undefined) {
    table(c.out, (await c.api.json<Grouped>('GET', path)).groups, GROUP_COLUMNS, c.format === 'wide');
  } else {
    const s = await c.api.json<Statistics>('GET', path);
    table(c.out, [...s.status_statistics, { status: 'total', count: s.total }], [{ header: 'STATUS', value: (r) => r.status, colour: true }, { header: 'COUNT', value: (r) => String(r.count) }], false);
  }
  return EXIT.ok;
}

type Shares = Static<typeof AvailabilityJson>;
type Share = { id?: string; key?: string | null; nodes?: number; online_ratio: number | null; offline_seconds: number; incidents: number; maintenance_seconds: number };
const pct = (r: number | null) => (r === null ? '-' : `${percentOf(r)}%`);
const SHARE_FIGURES: Column<Share>[] = [
  { header: 'ONLINE', value: (s) => pct(s.online_ratio) },
  { header: 'OFFLINE', value: (s) => `${s.offline_seconds}s` },
  { header: 'INCIDENTS', value: (s) => String(s.incidents) },
  { header: 'MAINTENANCE', value: (s) => `${s.maintenance_seconds}s` },
];

/** `availability [--window 7d] [-l <selector>] [--by <key>]` (SPEC §17): every node (all pages) and the total, or the groups. */
export async function availability(c: Ctx): Promise<number> {
  const window = str(c.values.window) ?? '24h';
  const by = str(c.values.by);
  const selector = str(c.values.selector);
  if (by !== undefined) {
    const grouped = await c.api.json<Static<typeof GroupedAvailabilityJson>>('GET', `/availability${q({ window, by, selector })}`);
    if (c.format === 'json' || c.format === 'ndjson') c.out.write(`${JSON.stringify(grouped)}\n`);
    else table(c.out, grouped.groups, [{ header: 'KEY', value: (g) => g.key ?? '(none)' }, { header: 'NODES', value: (g) => String(g.nodes) }, ...SHARE_FIGURES], false);
    return EXIT.ok;
  }
  const first = await c.api.json<Shares>('GET', `/availability${q({ window, selector, limit: '1000' })}`);
  const nodes = [...first.nodes];
  for (let page = first; page.nodes.length === 1000 && nodes.length < 10_000_000;) {
    page = await c.api.json<Shares>('GET', `/availability${q({ window, selector, limit: '1000', after: page.nodes.at(-1)!.id })}`);
    nodes.push(...page.nodes);
  }
  if (c.format === 'json') c.out.write(`${JSON.stringify({ ...first, nodes })}\n`);
  else if (c.format === 'ndjson') for (const n of nodes) c.out.write(`${JSON.stringify(n)}\n`);
  else table(c.out, [...nodes, { id: `total (${first.total.nodes})`, ...first.total }], [{ header: 'ID', value: (s) => s.id ?? '' }, ...SHARE_FIGURES], false);
  return EXIT.ok;
}

/** `wait ID --for status=online --timeout 60s`: until a field of the node has that value (exit 4 at the timeout). */
export async function wait(c: Ctx): Promise<number> {
  const id = one(c, 'wait');
  const cond = /^([a-z_]+)=(.+)$/.exec(str(c.values.for) ?? '');
  if (!cond) throw new ClientError(EXIT.usage, 'argus-master: wait needs --for <field>=<value>, e.g. --for status=online');
  const [, field, value] = cond as unknown as [string, string, string];
  const deadline = Date.now() + durationOf('timeout', c.values.timeout ?? '60s') * 1000;
  for (let i = 0; i < 1_000_000; i++) {
    const node = await c.api.json<Record<string, unknown>>('GET', `/nodes/${id}`).catch((err: unknown) => {
      if (err instanceof ClientError && err.exitCode === EXIT.notFound && field === 'status' && value === 'gone') return null;
      throw err;
    });
    const v = node === null ? 'gone' : node[field];
    const now = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v ?? '');
    if (now === value) {
      c.out.write(`${decodeURIComponent(id)} ${field}=${value}\n`);
      return EXIT.ok;
    }
    if (Date.now() >= deadline) throw new ClientError(EXIT.timeout, `argus-master: ${decodeURIComponent(id)} ${field} is ${now}, not ${value}, after ${str(c.values.timeout) ?? '60s'}`);
    await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
  }
  return EXIT.timeout;
}
