// Maintenance windows (SPEC §13). Pure: a window's record, the state it shows at a time, what it
// covers, and the end-of-window rule. Planned work must not page anyone, and must not hide what really
// broke: a node in maintenance still goes online and offline as always, but its transitions do not
// count toward the brake, garbage collection never takes it, and it is not notified while in it.
import { matches, type SelectableNode } from './selector-match.js';
import type { Selector } from './selector.js';
import type { NodeStatus } from './status.js';

/** The longest window (SPEC §13): 30 days. */
export const MAX_WINDOW_MS = 30 * 24 * 3_600_000;

/** What the sweeping side has applied of a window. */
export type WindowPhase = 'scheduled' | 'active' | 'ended';
/** The state a window shows. */
export type WindowState = WindowPhase;

/** A maintenance window as stored. */
export interface MaintenanceWindow {
  id: string;
  seq: number;
  /** The selector as given ('' when only nodes are listed), and parsed. */
  selectorText: string;
  selector: Selector;
  /** Nodes listed by ID (covered whatever the selector says). */
  nodes: string[];
  reason: string;
  actor: string;
  startsAtMs: number;
  endsAtMs: number;
  createdAtMs: number;
  phase: WindowPhase;
  /** When it ended (by its time, or ended early); null while it has not. */
  endedAtMs: number | null;
  /** Ended before it started (DELETE of a scheduled window). */
  cancelled: boolean;
  /** The nodes it covered when it ended. */
  matched: number;
}

/** The state a window shows at `nowMs`: its times decide at once; the sweeping side applies them within a second. */
export function windowState(w: Pick<MaintenanceWindow, 'startsAtMs' | 'endsAtMs' | 'phase' | 'endedAtMs'>, nowMs: number): WindowState {
  if (w.phase === 'ended' || w.endedAtMs !== null || nowMs >= w.endsAtMs) return 'ended';
  return nowMs >= w.startsAtMs ? 'active' : 'scheduled';
}

/** Whether a window covers a node: listed by ID, or selected by its selector (when it has one). */
export function windowCovers(w: Pick<MaintenanceWindow, 'selector' | 'selectorText' | 'nodes'>, node: SelectableNode): boolean {
  return w.nodes.includes(node.id) || (w.selectorText !== '' && matches(w.selector, node));
}

/**
 * The end-of-window rule (SPEC §13): a node that leaves maintenance is notified once if, and only if,
 * its status then differs from its status when it entered (it went down during the window and is still
 * down). A node that rebooted and came back produces nothing.
 */
export function notifyOnLeaving(enteredWith: NodeStatus | null, statusNow: NodeStatus): boolean {
  return enteredWith !== null && enteredWith !== statusNow;
}
