// How the command line prints (SPEC §16): `-o table` (aligned columns that fit the terminal, relative
// times, colour only on a TTY), `-o wide` (every column), `-o json` (one document, written out as it
// comes, so that a list of 100,000 nodes never sits in memory), `-o ndjson` (one object a line).
// Field names are the API's.
import { printable } from '../shown.js';

export type Format = 'table' | 'wide' | 'json' | 'ndjson';
export const FORMATS: readonly Format[] = ['table', 'wide', 'json', 'ndjson'];

/** Where output goes, and what it is (a terminal or not). */
export interface Out {
  write(text: string): void;
  isTTY: boolean;
  columns: number;
  nowMs: number;
}

/** A column: its header, how a row shows in it, and whether only `-o wide` shows it. */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
  wide?: boolean;
  /** Coloured on a terminal by its value (a status). */
  colour?: boolean;
}

const COLOURS: Record<string, string> = { online: '32', offline: '31', initialized: '33', active: '36', scheduled: '33', ended: '2', delivered: '32', pending: '33', dead: '31', degraded: '33', healthy: '32', enabled: '32', disabled: '31' };

/** "3s ago", "5m ago", "2h ago", "4d ago", "in 2h" (a time to come). */
export function relative(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.round((nowMs - t) / 1000);
  const a = Math.abs(s);
  const text = a < 60 ? `${a}s` : a < 3600 ? `${Math.floor(a / 60)}m` : a < 172_800 ? `${Math.floor(a / 3600)}h` : `${Math.floor(a / 86_400)}d`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

/** Rows as aligned columns: the table's header, then one line a row; the last column cut to fit a terminal. */
export function table<T>(out: Out, rows: readonly T[], columns: readonly Column<T>[], wide: boolean): void {
  const cols = columns.filter((c) => wide || !c.wide);
  const cells = rows.map((r) => cols.map((c) => printable(c.value(r))));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[], colourOf?: (i: number, v: string) => string) =>
    values.map((v, i) => {
      const padded = i === values.length - 1 ? v : v.padEnd(widths[i]!);
      return colourOf ? colourOf(i, padded) : padded;
    }).join('   ').slice(0, out.isTTY && !wide ? Math.max(out.columns, 40) + 32 : undefined).trimEnd();
  out.write(`${line(cols.map((c) => c.header))}\n`);
  for (const row of cells) {
    out.write(`${line(row, (i, v) => {
      const code = out.isTTY && cols[i]!.colour ? COLOURS[v.trim()] : undefined;
      return code ? `\u001b[${code}m${v}\u001b[0m` : v;
    })}\n`);
  }
}

/** Key: value lines of one object (nested values as JSON). */
export function details(out: Out, obj: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(obj).map((k) => k.length));
  for (const [k, v] of Object.entries(obj)) out.write(`${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
}

/** Writes a list out as it comes: one JSON array (json), one object a line (ndjson), or tables of each page. */
export async function writeList<T>(out: Out, format: Format, pages: AsyncIterable<T[]>, columns: readonly Column<T>[]): Promise<number> {
  let n = 0;
  if (format === 'json') out.write('[');
  const buffered: T[] = [];
  for await (const page of pages) {
    for (const item of page) {
      if (format === 'json') out.write(`${n === 0 ? '' : ','}\n${JSON.stringify(item)}`);
      else if (format === 'ndjson') out.write(`${JSON.stringify(item)}\n`);
      else buffered.push(item);
      n++;
    }
    // A table is aligned over what it shows: pages of a long list are flushed every 1,000 rows.
    if (buffered.length >= 1_000) table(out, buffered.splice(0), columns, format === 'wide');
  }
  if (format === 'json') out.write(n === 0 ? ']\n' : '\n]\n');
  else if (format !== 'ndjson' && (buffered.length > 0 || n === 0)) table(out, buffered, columns, format === 'wide');
  return n;
}
