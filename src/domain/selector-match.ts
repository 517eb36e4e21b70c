// A selector evaluated on one node in memory (SPEC §12): the same answers as the backends' SQL
// (storage/*/selector-sql.ts), which the storage contract suite checks case by case.
import { asciiLower, type HealthState, type Requirement, type Selector } from './selector.js';
import type { NodeStatus } from './status.js';

/** What a selector looks at in a node. */
export interface SelectableNode {
  id: string;
  name: string;
  type: string;
  version: string;
  status: NodeStatus;
  label: readonly string[];
  metaData: Record<string, unknown>;
  health: Record<string, unknown>;
  healthState: HealthState;
  flapping: boolean;
  /** The maintenance window the node is in, or null. */
  maintenance: string | null;
}

/** The key of a label: before its first `=` (the whole label when it has none). */
export const labelKey = (label: string): string => {
  const i = label.indexOf('=');
  return i < 0 ? label : label.slice(0, i);
};

/** The value at `path` in meta_data (undefined when absent or under a non-object). */
function metaAt(meta: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = meta;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Whether a meta_data value equals a selector value: a string as is, a number numerically, a boolean as true/false. */
export function metaEquals(v: unknown, value: string): boolean {
  if (typeof v === 'string') return v === value;
  if (typeof v === 'number') return /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(value) && v === Number(value);
  if (typeof v === 'boolean') return String(v) === value;
  return false;
}

/** The status a component last reported, lower-case ASCII (`unknown` without a string status); undefined when absent. */
export function componentStatus(health: Record<string, unknown>, component: string): string | undefined {
  if (!Object.hasOwn(health, component)) return undefined;
  const c = health[component];
  const status = c !== null && typeof c === 'object' && !Array.isArray(c) ? (c as Record<string, unknown>).status : undefined;
  return typeof status === 'string' ? asciiLower(status) : 'unknown';
}

function holds(r: Requirement, n: SelectableNode): boolean {
  switch (r.kind) {
    case 'labels': {
      const some = r.labels.some((l) => n.label.includes(l));
      return r.op === 'in' ? some : !some;
    }
    case 'labelKey': {
      const some = n.label.some((l) => labelKey(l) === r.key);
      return r.op === 'exists' ? some : !some;
    }
    case 'field': {
      const v = r.field === 'health' ? n.healthState : n[r.field];
      return r.values.includes(v) === (r.op === 'in');
    }
    case 'flag':
      return (r.flag === 'flapping' ? n.flapping : n.maintenance !== null) === r.value;
    case 'meta': {
      const v = metaAt(n.metaData, r.path);
      return r.values.some((value) => metaEquals(v, value)) === (r.op === 'in');
    }
    case 'metaCompare': {
      const v = metaAt(n.metaData, r.path);
      if (typeof v !== 'number') return false;
      return r.op === '<' ? v < r.number : r.op === '<=' ? v <= r.number : r.op === '>' ? v > r.number : v >= r.number;
    }
    case 'component': {
      const status = componentStatus(n.health, r.component);
      return (status !== undefined && r.values.includes(status)) === (r.op === 'in');
    }
  }
}

/** Whether every requirement of `selector` holds for `node`. */
export function matches(selector: Selector, node: SelectableNode): boolean {
  return selector.every((r) => holds(r, node));
}
