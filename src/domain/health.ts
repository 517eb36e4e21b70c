// Component health (SPEC §14), derived from the `health` of each status report. Pure. A component whose
// `status` is not `healthy` (ASCII case-insensitive; a missing or non-string status counts as `unknown`)
// is failing; a node with a failing component is degraded, one whose last report named no component (or
// that never reported) is unknown. Liveness is not touched: a degraded node stays online.
import { componentStatus } from './selector-match.js';
import type { HealthState } from './selector.js';

/** A failing component: its reported status, since when it has been failing, and what the agent said. */
export interface Condition {
  component: string;
  status: string;
  sinceMs: number;
  message: string | null;
}

/** A node's derived health. */
export interface DerivedHealth {
  healthState: HealthState;
  conditions: Condition[];
}

/** The message of a component's report: its `message`, else its `error`, when a string. */
function messageOf(c: unknown): string | null {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return null;
  const { message, error } = c as Record<string, unknown>;
  return typeof message === 'string' ? message : typeof error === 'string' ? error : null;
}

/** The reported status as shown in a condition: the agent's string, or `unknown`. */
function reportedStatus(c: unknown): string {
  const status = c !== null && typeof c === 'object' && !Array.isArray(c) ? (c as Record<string, unknown>).status : undefined;
  return typeof status === 'string' ? status : 'unknown';
}

/**
 * The health a report leaves, from the conditions before it: each failing component keeps the `since` of
 * an unbroken failure (its status may change meanwhile), and starts at `nowMs` otherwise.
 */
export function deriveHealth(before: readonly Condition[], health: Record<string, unknown>, nowMs: number): DerivedHealth {
  const components = Object.keys(health);
  if (components.length === 0) return { healthState: 'unknown', conditions: [] };
  const conditions = components
    .filter((name) => componentStatus(health, name) !== 'healthy')
    .map((name): Condition => ({
      component: name,
      status: reportedStatus(health[name]),
      sinceMs: before.find((c) => c.component === name)?.sinceMs ?? nowMs,
      message: messageOf(health[name]),
    }));
  return { healthState: conditions.length > 0 ? 'degraded' : 'healthy', conditions };
}

/** The failing components' names, as events and discovery list them (in the report's order). */
export const failingOf = (conditions: readonly Condition[]): string[] => conditions.map((c) => c.component);

/** Whether a `node.health` event is due: the state or the set of failing components changed (SPEC §14). */
export function healthEventDue(a: DerivedHealth, b: DerivedHealth): boolean {
  if (a.healthState !== b.healthState || a.conditions.length !== b.conditions.length) return true;
  const names = new Set(failingOf(a.conditions));
  return b.conditions.some((c) => !names.has(c.component));
}

/**
 * Whether what selectors and discovery see of health changed (the change version then moves): the
 * state, or any component's status as selectors compare it (`health.<component>=…`). A report that
 * repeats the same health changes nothing; a new message alone neither.
 */
export function healthSelectablyChanged(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return true;
  return kb.some((k) => !Object.hasOwn(a, k) || componentStatus(a, k) !== componentStatus(b, k));
}
