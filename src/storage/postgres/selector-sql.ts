// Selectors in PostgreSQL's SQL (SPEC §12): each requirement of the domain's typed form (domain/selector.ts)
// as one condition on a row of `nodes`, with the same answer as the domain's `matches` (the contract suite
// checks the cases of both). Labels, status, flags and health state go through indexes; meta_data and
// component health are read from the row's JSON (meta_data and health are text: cast to jsonb).
import type { Requirement } from '../../domain/selector.js';

/** Binds a value and answers its placeholder (`$N`). */
export type Bind = (value: unknown) => string;

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
/** ASCII lower case, as the domain's asciiLower (lower() would follow the database's locale). */
const asciiLower = (sql: string) => `translate(${sql}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;

/** `column` holds one of `values`: `= $n` for one value (so an index serves it), `= ANY($n)` otherwise. */
function inList(column: string, values: readonly string[], bind: Bind): string {
  return values.length === 1 ? `${column} = ${bind(values[0])}::text` : `${column} = ANY(${bind([...values])}::text[])`;
}

/** meta_data at `path` equals `value` as the domain's metaEquals: a string, a number numerically, a boolean. */
function metaEquals(v: string, value: string, bind: Bind): string {
  const alternatives = [`(jsonb_typeof(${v}) = 'string' AND ${v} #>> '{}' = ${bind(value)}::text)`];
  if (NUMBER.test(value)) alternatives.push(`(jsonb_typeof(${v}) = 'number' AND (${v} #>> '{}')::float8 = ${bind(Number(value))}::float8)`);
  if (value === 'true' || value === 'false') alternatives.push(`(jsonb_typeof(${v}) = 'boolean' AND ${v} #>> '{}' = '${value}')`);
  return alternatives.join(' OR ');
}

/** The condition of one requirement, true or false (never NULL: `!=` must hold where a value is absent). */
function condition(r: Requirement, bind: Bind): string {
  switch (r.kind) {
    case 'labels': {
      const some = `EXISTS (SELECT 1 FROM node_labels l WHERE ${inList('l.label', r.labels, bind)} AND l.seq = nodes.seq)`;
      return r.op === 'in' ? some : `NOT ${some}`;
    }
    case 'labelKey': {
      const some = `EXISTS (SELECT 1 FROM node_labels l WHERE l.seq = nodes.seq AND (l.label = ${bind(r.key)}::text OR starts_with(l.label, ${bind(`${r.key}=`)}::text)))`;
      return r.op === 'exists' ? some : `NOT ${some}`;
    }
    case 'field': {
      const column = r.field === 'health' ? 'nodes.health_state' : `nodes.${r.field}`;
      const some = inList(column, r.values, bind);
      return r.op === 'in' ? some : `NOT (${some})`;
    }
    case 'flag':
      // Literals, so that the partial indexes (flapping = 1, maintenance IS NOT NULL) serve them.
      if (r.flag === 'flapping') return `nodes.flapping = ${r.value ? 1 : 0}`;
      return r.value ? 'nodes.maintenance IS NOT NULL' : 'nodes.maintenance IS NULL';
    case 'meta': {
      const v = `(nodes.meta_data::jsonb #> ${bind([...r.path])}::text[])`;
      const some = `coalesce(${r.values.map((value) => `(${metaEquals(v, value, bind)})`).join(' OR ')}, false)`;
      return r.op === 'in' ? some : `NOT ${some}`;
    }
    case 'metaCompare': {
      const v = `(nodes.meta_data::jsonb #> ${bind([...r.path])}::text[])`;
      // CASE: the cast to float8 only where the value is a number.
      return `coalesce(CASE WHEN jsonb_typeof(${v}) = 'number' THEN (${v} #>> '{}')::float8 ${r.op} ${bind(r.number)}::float8 END, false)`;
    }
    case 'component': {
      const c = `(nodes.health::jsonb -> ${bind(r.component)}::text)`;
      const status = `CASE WHEN ${c} IS NULL THEN NULL
                           WHEN jsonb_typeof(${c}) = 'object' AND jsonb_typeof(${c} -> 'status') = 'string' THEN ${asciiLower(`${c} ->> 'status'`)}
                           ELSE 'unknown' END`;
      const some = `coalesce(${inList(`(${status})`, r.values, bind)}, false)`;
      return r.op === 'in' ? some : `NOT ${some}`;
    }
  }
}

/** The conditions of `requirements`, ANDed ('true' when there are none). */
export function selectorWhere(requirements: readonly Requirement[], bind: Bind): string {
  return requirements.length === 0 ? 'true' : requirements.map((r) => `(${condition(r, bind)})`).join(' AND ');
}

/** A binder of positional parameters from `$first` on, into `params`. */
export function positionalBinder(params: unknown[], first = 1): Bind {
  return (value) => {
    params.push(value);
    return `$${first + params.length - 1}`;
  };
}
