// The messages of notifications (SPEC §15), built once when an event is fanned out and kept as they are
// across attempts: a webhook's `{"type", "timestamp", "data": {"event", "node"}}`, an Alertmanager's
// alerts, and digests of either. Pure, but for the last labels each node's alerts were sent with (an
// Alertmanager tells alerts apart by their labels, and a deregistered node's are gone from the database).
import { EventType } from '../domain/events.js';
import type { NodeRecord } from '../domain/node.js';
import { notifies, type NotifiableEvent } from '../domain/notifications.js';
import { rfc3339 } from '../domain/time.js';
import type { DeliveryRow, EndpointRecord, FanOutInput, NewDelivery } from '../storage/core/notifications.js';

/** A node as a message shows it: the API's field names, with meta_data and labels. */
export function nodeSummary(n: NodeRecord) {
  return {
    id: n.id, name: n.name, type: n.type, version: n.version, status: n.status, health_state: n.healthState, flapping: n.flapping,
    maintenance: n.maintenance, label: n.label, meta_data: n.metaData,
  };
}

/** An alert as Alertmanager's API v2 takes it. */
export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

const META_LABELS = ['hostname', 'ip', 'user', 'env', 'instance'] as const;

/** The labels of a node's alert: its ID, name, meta_data's hostname, ip, user, env, instance, and each key/value label. */
export function alertLabels(alertname: string, n: NodeRecord): Record<string, string> {
  const labels: Record<string, string> = { alertname, node_id: n.id, name: n.name };
  for (const k of META_LABELS) {
    const v = n.metaData[k];
    if (typeof v === 'string' && v !== '') labels[k] = v;
  }
  for (const l of n.label) {
    const i = l.indexOf('=');
    if (i <= 0 || i === l.length - 1) continue;
    const key = l.slice(0, i).replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
    if (!(key in labels)) labels[key] = l.slice(i + 1);
  }
  return labels;
}

/** Builds messages from events, and keeps the labels each node's alerts were last sent with. */
export function createMessages(publicUrl: string) {
  const lastLabels = new Map<string, { offline: Record<string, string>; degraded: Record<string, string> }>();
  const labelsOf = (n: NodeRecord) => {
    const l = { offline: alertLabels('ArgusNodeOffline', n), degraded: alertLabels('ArgusNodeDegraded', n) };
    lastLabels.set(n.id, l);
    return l;
  };
  const link = (id: string) => `${publicUrl}/ui/nodes/${encodeURIComponent(id)}`;
  const alert = (labels: Record<string, string>, summary: string, atMs: number, resolved: boolean, id: string | null): Alert => ({
    labels, annotations: { summary }, startsAt: rfc3339(atMs), ...(resolved ? { endsAt: rfc3339(atMs) } : {}), ...(id === null ? {} : { generatorURL: link(id) }),
  });

  /** A node's firing alerts as they are now (the 60 s re-send). */
  const firing = (n: NodeRecord): Alert[] => {
    const l = labelsOf(n);
    const out: Alert[] = [];
    if (n.status === 'offline') out.push(alert(l.offline, `node ${n.name} (${n.id}) is offline`, n.statusSinceMs, false, n.id));
    if (n.healthState === 'degraded') out.push(alert(l.degraded, `node ${n.name} (${n.id}) is degraded: ${n.conditions.map((c) => c.component).join(', ')}`, n.lastUpdatedMs, false, n.id));
    return out;
  };

  /** The alerts of one event (none: nothing to tell Alertmanager). */
  const alertsOf = (e: NotifiableEvent, n: NodeRecord | null): Alert[] => {
    const f = e.fields;
    if (e.type === EventType.BrakeEngaged || e.type === EventType.BrakeReleased) {
      return [alert({ alertname: 'ArgusOfflineBrake' }, `the mass-offline brake holds ${String(f.held)} nodes offline`, e.timeMs, e.type === EventType.BrakeReleased, null)];
    }
    if (e.nodeId === null) return [];
    const known = n ? labelsOf(n) : lastLabels.get(e.nodeId);
    if (!known) return [];
    const name = n ? `${n.name} (${n.id})` : e.nodeId;
    const resolveBoth = () => [alert(known.offline, `node ${name} is back`, e.timeMs, true, e.nodeId), alert(known.degraded, `node ${name} is back`, e.timeMs, true, e.nodeId)];
    switch (e.type) {
      case EventType.Status:
        if (f.to === 'offline') return [alert(known.offline, `node ${name} is offline`, e.timeMs, false, e.nodeId)];
        return f.from === 'offline' ? [alert(known.offline, `node ${name} is online again`, e.timeMs, true, e.nodeId)] : [];
      case EventType.Health:
        if (f.to === 'degraded') return [alert(known.degraded, `node ${name} is degraded: ${(f.failing as string[] | undefined ?? []).join(', ')}`, e.timeMs, false, e.nodeId)];
        return f.from === 'degraded' ? [alert(known.degraded, `node ${name} is healthy again`, e.timeMs, true, e.nodeId)] : [];
      case EventType.Deregistered:
        lastLabels.delete(e.nodeId);
        return resolveBoth();
      case EventType.Maintenance:
        if (f.in === true) return resolveBoth();
        return f.status === 'offline' && f.entered_status !== 'offline' ? [alert(known.offline, `node ${name} went offline during maintenance ${String(f.window)}`, e.timeMs, false, e.nodeId)] : [];
      case EventType.Flapping:
        return [alert({ ...known.offline, alertname: 'ArgusNodeFlapping' }, `node ${name} is flapping`, e.timeMs, f.flapping !== true, e.nodeId)];
      default:
        return [];
    }
  };

  /** The message of one event for one endpoint, or null. */
  const messageOf = (endpoint: EndpointRecord, e: NotifiableEvent, json: unknown, n: NodeRecord | null): NewDelivery | null => {
    const base = { id: `msg_${endpoint.id}_${e.id}`, endpointId: endpoint.id, type: e.type, nodeId: e.nodeId, eventId: e.id, events: 1 };
    if (endpoint.kind === 'alertmanager') {
      const alerts = alertsOf(e, n);
      return alerts.length === 0 ? null : { ...base, body: JSON.stringify(alerts) };
    }
    return { ...base, body: JSON.stringify({ type: e.type, timestamp: rfc3339(e.timeMs), data: { event: json, node: n ? nodeSummary(n) : null } }) };
  };

  /** Fan-out: each event's messages for the endpoints it notifies. */
  const build = (input: FanOutInput): NewDelivery[] => {
    const out: NewDelivery[] = [];
    for (const row of input.events) {
      const json = JSON.parse(row.body) as Record<string, unknown>;
      const { id: _id, time: _time, type: _type, node_id: _node, ...fields } = json;
      const e: NotifiableEvent = { id: Number(row.id), timeMs: Number(row.time), type: row.type as EventType, nodeId: row.node_id, fields };
      const n = e.nodeId === null ? null : (input.nodes.get(e.nodeId) ?? null);
      for (const endpoint of input.endpoints) {
        if (!notifies(endpoint, e, n)) continue;
        const m = messageOf(endpoint, e, json, n);
        if (m) out.push(m);
      }
    }
    return out;
  };

  return { build, firing, digest: (endpoint: EndpointRecord, rows: DeliveryRow[], nowMs: number) => digestOf(endpoint, rows, nowMs) };
}

/** One digest of fresh messages (SPEC §15): a webhook's events with counts per type and status, or every alert. */
export function digestOf(endpoint: EndpointRecord, rows: DeliveryRow[], nowMs: number): NewDelivery | null {
  if (rows.length === 0) return null;
  const id = `msg_${endpoint.id}_digest_${rows[0]!.seq}_${rows.length}`;
  const common = { id, endpointId: endpoint.id, type: 'digest', nodeId: null, eventId: null, events: rows.length };
  if (endpoint.kind === 'alertmanager') return { ...common, body: JSON.stringify(rows.flatMap((r) => JSON.parse(r.body) as Alert[])) };
  const events = rows.map((r) => (JSON.parse(r.body) as { data: unknown }).data);
  const types: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  for (const d of events as Array<{ event: { type: string; to?: unknown } }>) {
    types[d.event.type] = (types[d.event.type] ?? 0) + 1;
    if (d.event.type === EventType.Status && typeof d.event.to === 'string') statuses[d.event.to] = (statuses[d.event.to] ?? 0) + 1;
  }
  return { ...common, body: JSON.stringify({ type: 'digest', timestamp: rfc3339(nowMs), data: { events, total: events.length, counts: { types, statuses } } }) };
}
