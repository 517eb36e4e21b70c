// The statements of notifications in SQLite's SQL (core/notifications.ts names and uses them).
import type { DeliveryQuery, DeliveryRow, EndpointRow, NewDelivery, OutboxPlans } from '../core/notifications.js';
import { plan } from '../core/tx.js';
import { KV } from '../keys.js';
import type { EventRow, NodeRow } from '../rows.js';

const ids = (list: readonly string[]) => JSON.stringify(list);
const raise = (key: string) => plan<[], { value: string }>(`UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${key}' RETURNING value`);

/** The statements of notifications. */
export const SQLITE_OUTBOX_PLANS: OutboxPlans = {
  nextEndpointSeq: raise(KV.endpointCounter),
  eventCounter: plan(`SELECT value FROM kv WHERE key = '${KV.eventCounter}'`),
  insertEndpoint: plan<[EndpointRow]>(
    `INSERT INTO notification_endpoints (seq, id, name, url, kind, events, selector, enabled, disabled_reason, secret, created_at, from_event)
     VALUES (@seq, @id, @name, @url, @kind, @events, @selector, @enabled, @disabled_reason, @secret, @created_at, @from_event)`,
    (row) => ({ ...row }),
  ),
  updateEndpoint: plan<[EndpointRow]>(
    'UPDATE notification_endpoints SET name = @name, url = @url, events = @events, selector = @selector, enabled = @enabled, disabled_reason = @disabled_reason, from_event = @from_event WHERE id = @id',
    (r) => ({ name: r.name, url: r.url, events: r.events, selector: r.selector, enabled: r.enabled, disabled_reason: r.disabled_reason, from_event: r.from_event, id: r.id }),
  ),
  deleteEndpoint: plan<[string]>('DELETE FROM notification_endpoints WHERE id = ?'),
  deleteDeliveriesOf: plan<[string]>('DELETE FROM notification_deliveries WHERE endpoint_id = ?'),
  endpointById: plan<[string], EndpointRow>('SELECT * FROM notification_endpoints WHERE id = ?'),
  allEndpoints: plan<[], EndpointRow>('SELECT * FROM notification_endpoints ORDER BY seq'),
  cursor: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.notifyCursor}'`),
  setCursor: plan<[number]>(`UPDATE kv SET value = CAST(? AS TEXT) WHERE key = '${KV.notifyCursor}'`),
  eventsAfter: plan<[number, number], EventRow>('SELECT id, time, type, node_id, body FROM events WHERE id > ? ORDER BY id LIMIT ?'),
  nodesByIds: plan<[readonly string[]], NodeRow>('SELECT * FROM nodes WHERE id IN (SELECT value FROM json_each(?))', (list) => [ids(list)]),
  insertDeliveries: plan<[readonly NewDelivery[], number]>(
    `INSERT INTO notification_deliveries (id, endpoint_id, type, node_id, event_id, events, body, state, attempts, next_at, created_at)
     SELECT value ->> '$.id', value ->> '$.endpointId', value ->> '$.type', value ->> '$.nodeId', value ->> '$.eventId', value ->> '$.events', value ->> '$.body',
            'pending', 0, @now, @now
     FROM json_each(@rows)`,
    (rows, now) => ({ rows: JSON.stringify(rows), now }),
  ),
  due: plan<[number, number], DeliveryRow>(
    "SELECT seq, id, endpoint_id, attempts, events, created_at FROM notification_deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY seq LIMIT ?",
  ),
  byIds: plan<[readonly string[]], DeliveryRow>('SELECT * FROM notification_deliveries WHERE id IN (SELECT value FROM json_each(?)) ORDER BY seq', (list) => [ids(list)]),
  claim: plan<[readonly string[], number, number]>(
    "UPDATE notification_deliveries SET attempts = attempts + 1, last_attempt_at = ?, next_at = ? WHERE state = 'pending' AND id IN (SELECT value FROM json_each(?))",
    (list, now, next) => [now, next, ids(list)],
  ),
  fold: plan<[readonly string[], string]>(
    "UPDATE notification_deliveries SET state = 'folded', folded_into = ? WHERE state = 'pending' AND id IN (SELECT value FROM json_each(?))",
    (list, digest) => [digest, ids(list)],
  ),
  finish: plan<[string, string, number, string]>(
    'UPDATE notification_deliveries SET state = ?, next_at = ?, last_answer = ? WHERE id = ?',
    (id, state, next, answer) => [state, next, answer, id],
  ),
  expire: plan<[number, string]>(
    "UPDATE notification_deliveries SET state = 'dead', last_answer = coalesce(last_answer, ?) WHERE state = 'pending' AND created_at < ?",
    (before, answer) => [answer, before],
  ),
  retry: plan<[string, number]>("UPDATE notification_deliveries SET state = 'pending', next_at = @now, created_at = @now WHERE id = @id", (id, now) => ({ id, now })),
  list: plan<[DeliveryQuery], DeliveryRow>(
    `SELECT * FROM notification_deliveries
     WHERE (@endpoint IS NULL OR endpoint_id = @endpoint) AND (@state IS NULL OR state = @state) AND (@before IS NULL OR seq < @before)
     ORDER BY seq DESC LIMIT @limit`,
    (q) => ({ endpoint: q.endpointId, state: q.state, before: q.beforeSeq, limit: q.limit }),
  ),
  byId: plan<[string], DeliveryRow>('SELECT * FROM notification_deliveries WHERE id = ?'),
  prune: plan<[number, number]>(
    "DELETE FROM notification_deliveries WHERE seq IN (SELECT seq FROM notification_deliveries WHERE state <> 'pending' AND created_at < ? ORDER BY seq LIMIT ?)",
  ),
  pendingStats: plan<[], { endpoint_id: string; n: number; oldest: number }>(
    "SELECT endpoint_id, count(*) AS n, min(created_at) AS oldest FROM notification_deliveries WHERE state = 'pending' GROUP BY endpoint_id",
  ),
};
