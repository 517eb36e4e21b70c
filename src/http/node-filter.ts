// The node filter of lists, statistics and discovery (SPEC §9.5, §12), parsed from a query string: the
// older status, label and flapping parameters and a selector, which all become the selector's typed
// requirements. Shared by the API's GET /nodes, statistics and http_sd, and the dashboard's table.
import { Type, type Static } from '@sinclair/typebox';
import { ALL_STATUSES, type NodeStatus } from '../domain/status.js';
import { AppError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { NodeFilter } from '../storage/store.js';
import { filterRequirements, parseSelector, SelectorError, type Requirement, type Selector } from '../domain/selector.js';
import { listParam } from './query.js';

const StringOrList = Type.Union([Type.String(), Type.Array(Type.String())]);
export const ListQuery = Type.Object({
  status: Type.Optional(StringOrList),
  label: Type.Optional(StringOrList),
  q: Type.Optional(Type.String({ maxLength: LIMITS.maxStringLength })),
  flapping: Type.Optional(Type.String()),
  selector: Type.Optional(Type.String()),
  limit: Type.Optional(Type.String()),
  after: Type.Optional(Type.String({ maxLength: LIMITS.maxStringLength })),
});
export type ListQuery = Static<typeof ListQuery>;
/** The statistics' query: a filter, and `by` (SPEC §17). */
export const StatisticsQuery = Type.Composite([ListQuery, Type.Object({ by: Type.Optional(Type.String({ maxLength: 128 })) })]);
export const FILTER_KEYS = ['status', 'label', 'q', 'flapping', 'selector'] as const;
export const LIST_KEYS = [...FILTER_KEYS, 'limit', 'after'] as const;

/** A repeatable parameter's values as given (labels are not split: they cannot hold a comma anyway). */
const listOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A selector from a query string; a bad one is a 400 that says where and what was expected. */
export function selectorParam(text: string | undefined): Selector {
  if (text === undefined) return [];
  try {
    return parseSelector(text);
  } catch (err) {
    if (err instanceof SelectorError) throw new AppError('BAD_REQUEST', err.message);
    throw err;
  }
}

/** The requirements of the older parameters (status, label, flapping; SPEC §9.5); a bad value is a 400. */
export function parameterRequirements(q: { status?: string | string[]; label?: string | string[]; flapping?: string }): Requirement[] {
  const statuses = listParam(q.status);
  const unknown = statuses.find((s) => !(ALL_STATUSES as readonly string[]).includes(s));
  if (unknown !== undefined) throw new AppError('BAD_REQUEST', `invalid request: status must be one of ${ALL_STATUSES.join(', ')}`);
  const labels = listOf(q.label);
  if (labels.some((l) => l === '')) throw new AppError('BAD_REQUEST', 'invalid request: label must not be empty');
  if (q.flapping !== undefined && q.flapping !== 'true' && q.flapping !== 'false') throw new AppError('BAD_REQUEST', 'invalid request: flapping must be true or false');
  return filterRequirements({ statuses: statuses as NodeStatus[], labels, flapping: q.flapping === undefined ? null : q.flapping === 'true' });
}

/** The filter of a list or statistics query (SPEC §9.5, §12); a bad value is a 400. */
export function parseNodeFilter(q: ListQuery): NodeFilter {
  return { selector: [...parameterRequirements(q), ...selectorParam(q.selector)], q: q.q?.trim() || null };
}
