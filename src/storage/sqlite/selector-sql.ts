// Selectors in SQLite's SQL (SPEC §12): each requirement of the domain's typed form (domain/selector.ts)
// as one condition on a row of `nodes`, with the same answer as the domain's `matches` (the contract suite
// checks the cases of both). Labels, status, flags and health state go through indexes (node_labels,
// (status, seq), the partial indexes of flapping, degraded and maintenance nodes); meta_data and
// component health are read from the row's JSON (a scan where nothing else narrows the rows).
import type { Requirement } from '../../domain/selector.js';

/** Binds a value and answers its placeholder (`@sN`). */
export type Bind = (value: unknown) => string;

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** A JSON path of meta_data keys (each [A-Za-z0-9_-]+, checked by the parser), quoted for SQLite. */
const jsonPath = (path: readonly string[]) => `'$${path.map((k) => `."${k}"`).join('')}'`;

/** `set` holds one of `values`: `= @x` for one value (so an index serves it), an IN list otherwise. */
function inList(column: string, values: readonly string[], bind: Bind): string {
  return values.length === 1 ? `${column} = ${bind(values[0])}` : `${column} IN (SELECT value FROM json_each(${bind(JSON.stringify(values))}))`;
}

/** meta_data at `path` equals `value` as the domain's metaEquals: a string, a number numerically, a boolean. */
function metaEquals(path: string, value: string, bind: Bind): string {
  const alternatives = [`(json_type(nodes.meta_data, ${path}) = 'text' AND nodes.meta_data ->> ${path} = ${bind(value)})`];
  if (NUMBER.test(value)) alternatives.push(`(json_type(nodes.meta_data, ${path}) IN ('integer', 'real') AND nodes.meta_data ->> ${path} = ${bind(Number(value))})`);
  if (value === 'true' || value === 'false') alternatives.push(`json_type(nodes.meta_data, ${path}) = '${value}'`);
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
      // A key/value label `key=…` sorts from `key=` up to (not including) `key>`: '>' follows '=' in byte order.
      const some = `EXISTS (SELECT 1 FROM node_labels l WHERE l.seq = nodes.seq
                      AND (l.label = ${bind(r.key)} OR (l.label >= ${bind(`${r.key}=`)} AND l.label < ${bind(`${r.key}>`)})))`;
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
      const path = jsonPath(r.path);
      const some = `coalesce(${r.values.map((v) => `(${metaEquals(path, v, bind)})`).join(' OR ')}, 0)`;
      return r.op === 'in' ? some : `NOT ${some}`;
    }
    case 'metaCompare': {
      const path = jsonPath(r.path);
      return `coalesce(json_type(nodes.meta_data, ${path}) IN ('integer', 'real') AND nodes.meta_data ->> ${path} ${r.op} ${bind(r.number)}, 0)`;
    }
    case 'component': {
      const status = `(SELECT CASE WHEN j.type = 'object' AND json_type(j.value, '$.status') = 'text' THEN lower(j.value ->> '$.status') ELSE 'unknown' END
                       FROM json_each(nodes.health) j WHERE j.key = ${bind(r.component)})`;
      const some = `coalesce(${inList(status, r.values, bind)}, 0)`;
      return r.op === 'in' ? some : `NOT ${some}`;
    }
  }
}

/** The conditions of `requirements`, ANDed ('1' when there are none). */
export function selectorWhere(requirements: readonly Requirement[], bind: Bind): string {
  return requirements.length === 0 ? '1' : requirements.map((r) => `(${condition(r, bind)})`).join(' AND ');
}

/** A binder of named parameters `@s0, @s1, …` into `params`. */
export function namedBinder(params: Record<string, unknown>): Bind {
  let n = 0;
  return (value) => {
    const name = `s${n++}`;
    params[name] = value;
    return `@${name}`;
  };
}
