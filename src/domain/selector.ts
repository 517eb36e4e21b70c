// Selectors (SPEC §12): one grammar for finding nodes, parsed once into a typed form here. The typed
// form is evaluated in SQL by each backend (storage/*/selector-sql.ts: the list, statistics, discovery
// and maintenance) and in memory by `matches` (selector-match.ts: one node at a time, e.g. the node an
// event is about); the storage contract suite holds both to the same answers.
//
// selector    := requirement ("," requirement)*          (all must hold)
// requirement := "!" key | key | key op value | key ("in" | "notin") "(" value ("," value)* ")"
// op          := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
// key, value  := bare [A-Za-z0-9_.:/@+-]+ | a double-quoted JSON string
import { ALL_STATUSES, type NodeStatus } from './status.js';

/** Health states of a node (SPEC §14). */
export const HEALTH_STATES = ['healthy', 'degraded', 'unknown'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

/** Fields compared with `=`, `!=`, `in`, `notin`. */
export type SelectorField = 'status' | 'id' | 'name' | 'type' | 'version' | 'health';

/** One requirement of a selector, typed. */
export type Requirement =
  /** Some (`in`) / none (`notin`) of these exact labels (`rack=7`, or a plain `gpu` from `?label=`). */
  | { kind: 'labels'; op: 'in' | 'notin'; labels: string[] }
  /** A label with this key exists (plain `gpu` or key/value `gpu=…`), or none does. */
  | { kind: 'labelKey'; op: 'exists' | 'absent'; key: string }
  | { kind: 'field'; field: SelectorField; op: 'in' | 'notin'; values: string[] }
  | { kind: 'flag'; flag: 'flapping' | 'maintenance'; value: boolean }
  /** meta_data at `path`: equal to one of `values` (a string as is, a number numerically, a boolean as true/false). */
  | { kind: 'meta'; path: string[]; op: 'in' | 'notin'; values: string[] }
  /** meta_data at `path` is a number and compares so with `number`. */
  | { kind: 'metaCompare'; path: string[]; op: '<' | '<=' | '>' | '>='; number: number }
  /** The status a component last reported (lower-case ASCII; `unknown` when it sent none) is one of `values`. */
  | { kind: 'component'; component: string; op: 'in' | 'notin'; values: string[] };

/** A parsed selector: its requirements, all of which must hold. */
export type Selector = readonly Requirement[];

/** Limits of a selector (SPEC §12). */
export const SELECTOR_LIMITS = { maxBytes: 4096, maxRequirements: 32, maxValues: 100 } as const;

/** Keys that are fields, not labels (`label.<key>` selects a label whose key is one of them). */
const RESERVED = new Set(['status', 'id', 'name', 'type', 'version', 'health', 'flapping', 'maintenance', 'label', 'meta']);
const BARE = /[A-Za-z0-9_.:/@+-]/;
const META_SEGMENT = /^[A-Za-z0-9_-]+$/;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** A selector that does not parse: where, and what was expected. */
export class SelectorError extends Error {
  constructor(readonly position: number, readonly expected: string, found: string) {
    super(`invalid selector at position ${position}: expected ${expected}, found ${found}`);
  }
}

/** ASCII lower case: the same in JavaScript, SQLite's lower() and PostgreSQL's translate(). */
export const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'notin';

/** A cursor over the selector's text. */
class Scanner {
  pos = 0;
  constructor(readonly text: string) {}
  skipSpace(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t')) this.pos++;
  }
  peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }
  found(): string {
    return this.pos >= this.text.length ? 'the end' : JSON.stringify(this.text.slice(this.pos, this.pos + 12));
  }
  fail(expected: string): never {
    throw new SelectorError(this.pos, expected, this.found());
  }
  /** A bare word or a quoted JSON string; `what` names it in errors. */
  token(what: string): { text: string; quoted: boolean; at: number } {
    this.skipSpace();
    const at = this.pos;
    if (this.text[this.pos] === '"') return { text: this.quoted(what), quoted: true, at };
    while (this.pos < this.text.length && BARE.test(this.text[this.pos]!)) this.pos++;
    if (this.pos === at) this.fail(what);
    const text = this.text.slice(at, this.pos);
    // `health."dcgm exporter"`, `label."a key"`: a prefix, then the rest quoted.
    if ((text === 'health.' || text === 'label.') && this.text[this.pos] === '"') return { text: text + this.quoted(what), quoted: false, at };
    return { text, quoted: false, at };
  }
  private quoted(what: string): string {
    const at = this.pos;
    let i = this.pos + 1;
    while (i < this.text.length && this.text[i] !== '"') i += this.text[i] === '\\' ? 2 : 1;
    if (i >= this.text.length) this.fail(`${what} (a closing '"')`);
    try {
      const value = JSON.parse(this.text.slice(at, i + 1)) as string;
      this.pos = i + 1;
      return value;
    } catch {
      return this.fail(`${what} (a valid JSON string)`);
    }
  }
  /** An operator, or null at a requirement's end. */
  op(): Op | null {
    const c = this.peek();
    const two = this.text.slice(this.pos, this.pos + 2);
    for (const [sym, op] of [['==', '='], ['!=', '!='], ['<=', '<='], ['>=', '>=']] as const) {
      if (two === sym) return (this.pos += 2), op;
    }
    if (c === '=' || c === '<' || c === '>') return (this.pos += 1), c;
    for (const word of ['notin', 'in'] as const) {
      const end = this.pos + word.length;
      if (this.text.slice(this.pos, end) === word && (this.text[end] === '(' || this.text[end] === ' ' || this.text[end] === '\t')) return (this.pos = end), word;
    }
    return null;
  }
}

/** Parses `text` (at most SELECTOR_LIMITS) into its requirements; throws SelectorError. An empty text has none. */
export function parseSelector(text: string): Selector {
  if (Buffer.byteLength(text, 'utf8') > SELECTOR_LIMITS.maxBytes) throw new SelectorError(SELECTOR_LIMITS.maxBytes, `at most ${SELECTOR_LIMITS.maxBytes} bytes`, 'more');
  const s = new Scanner(text);
  const out: Requirement[] = [];
  if (s.peek() === '') return out;
  for (;;) {
    if (out.length === SELECTOR_LIMITS.maxRequirements) s.fail(`at most ${SELECTOR_LIMITS.maxRequirements} requirements`);
    out.push(requirement(s));
    const c = s.peek();
    if (c === '') return out;
    if (c !== ',') s.fail("',' or the end");
    s.pos++;
  }
}

function requirement(s: Scanner): Requirement {
  if (s.peek() === '!') {
    s.pos++;
    const key = s.token('a label key');
    return { kind: 'labelKey', op: 'absent', key: labelKeyOf(s, key) };
  }
  const key = s.token('a key');
  const op = s.op();
  if (op === null) {
    if (!key.quoted && (key.text === 'flapping' || key.text === 'maintenance')) return { kind: 'flag', flag: key.text, value: true };
    return { kind: 'labelKey', op: 'exists', key: labelKeyOf(s, key) };
  }
  const values = op === 'in' || op === 'notin' ? valueList(s) : [s.token('a value').text];
  return typed(s, key, op, values);
}

/** The label key a token names: `label.<key>` for any key, else a key that is not reserved. */
function labelKeyOf(s: Scanner, key: { text: string; quoted: boolean; at: number }): string {
  if (!key.quoted && key.text.startsWith('label.') && key.text.length > 6) return key.text.slice(6);
  if (!key.quoted && (RESERVED.has(key.text) || key.text.startsWith('meta.') || key.text.startsWith('health.'))) {
    s.pos = key.at;
    s.fail(`a comparison after the field "${key.text}" (a label with that key: label.${key.text})`);
  }
  return key.text;
}

function valueList(s: Scanner): string[] {
  if (s.peek() !== '(') s.fail("'('");
  s.pos++;
  const values: string[] = [];
  for (;;) {
    if (values.length === SELECTOR_LIMITS.maxValues) s.fail(`at most ${SELECTOR_LIMITS.maxValues} values`);
    values.push(s.token('a value').text);
    const c = s.peek();
    if (c !== ')' && c !== ',') s.fail("',' or ')'");
    s.pos++;
    if (c === ')') return values;
  }
}

/** The typed requirement of `key op values`, checked against what the key allows. */
function typed(s: Scanner, key: { text: string; quoted: boolean; at: number }, op: Op, values: string[]): Requirement {
  const setOp = op === '=' || op === 'in' ? 'in' : op === '!=' || op === 'notin' ? 'notin' : null;
  const k = key.quoted ? null : key.text;
  const bad = (expected: string): never => {
    s.pos = key.at;
    return s.fail(expected);
  };
  if (k !== null && k.startsWith('meta.')) {
    const path = k.slice(5).split('.');
    if (!path.every((p) => META_SEGMENT.test(p))) bad('meta.<key> with keys of letters, digits, "_" and "-" (dots between nested keys)');
    if (setOp) return { kind: 'meta', path, op: setOp, values };
    const value = values[0]!;
    if (!NUMBER.test(value)) bad(`a number after ${op} (${k}${op}${value})`);
    return { kind: 'metaCompare', path, op: op as '<' | '<=' | '>' | '>=', number: Number(value) };
  }
  if (!setOp) return bad(`=, !=, in or notin after "${key.text}" (<, <=, >, >= compare meta.<key> numbers)`);
  if (k !== null && k.startsWith('health.') && k.length > 7) return { kind: 'component', component: k.slice(7), op: setOp, values: values.map(asciiLower) };
  if (k === 'flapping' || k === 'maintenance') {
    if (values.length !== 1 || (values[0] !== 'true' && values[0] !== 'false') || op === 'in' || op === 'notin') bad(`${k}=true or ${k}=false`);
    return { kind: 'flag', flag: k, value: (values[0] === 'true') === (setOp === 'in') };
  }
  if (k === 'status' || k === 'health') {
    const allowed: readonly string[] = k === 'status' ? ALL_STATUSES : HEALTH_STATES;
    const wrong = values.find((v) => !allowed.includes(v));
    if (wrong !== undefined) bad(`${k} values among ${allowed.join(', ')} (not ${JSON.stringify(wrong)})`);
    return { kind: 'field', field: k, op: setOp, values };
  }
  if (k === 'id' || k === 'name' || k === 'type' || k === 'version') return { kind: 'field', field: k, op: setOp, values };
  const labelKey = labelKeyOf(s, key);
  return { kind: 'labels', op: setOp, labels: values.map((v) => `${labelKey}=${v}`) };
}

/** The requirements of the older list parameters (SPEC §9.5): statuses, exact labels, flapping. */
export function filterRequirements(f: { statuses: readonly NodeStatus[]; labels: readonly string[]; flapping: boolean | null }): Requirement[] {
  const out: Requirement[] = [];
  if (f.statuses.length > 0) out.push({ kind: 'field', field: 'status', op: 'in', values: [...f.statuses] });
  for (const label of f.labels) out.push({ kind: 'labels', op: 'in', labels: [label] });
  if (f.flapping !== null) out.push({ kind: 'flag', flag: 'flapping', value: f.flapping });
  return out;
}

/**
 * An exact label every node the selector selects has (`rack=7`, or a `?label=`) and the selector's other
 * requirements, or null: the backends read such a selection through their label index, so that a 1%
 * label reads 1% of the fleet, and test only the rest (the join already holds the label).
 */
export function drivingLabel(selector: Selector): { label: string; rest: Selector } | null {
  const i = selector.findIndex((r) => r.kind === 'labels' && r.op === 'in' && r.labels.length === 1);
  if (i < 0) return null;
  const r = selector[i] as Extract<Requirement, { kind: 'labels' }>;
  return { label: r.labels[0]!, rest: [...selector.slice(0, i), ...selector.slice(i + 1)] };
}
