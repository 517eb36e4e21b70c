// The statements of notifications in PostgreSQL's SQL (core/notifications.ts names and uses them).
import type { DeliveryQuery, DeliveryRow, EndpointRow, NewDelivery, OutboxPlans } from '../core/notifications.js';
import { plan } from '../core/tx.js';
import { KV } from '../keys.js';
import type { EventRow, NodeRow } from '../rows.js';

const raise = (key: string) => plan<[], { value: string }>(`UPDATE kv SET value = (value::bigint + 1)::text WHERE key = '${key}' RETURNING value`);
const ENDPOINT_COLUMNS = ['seq', 'id', 'name', 'url', 'kind', 'events', 'selector', 'enabled', 'disabled_reason', 'secret', 'created_at', 'from_event'] as const;

/** The statements of notifications. */
export const PG_OUTBOX_PLANS: OutboxPlans = {
  nextEndpointSeq: raise(KV.endpointCounter),
  eventCounter: plan(`SELECT value FROM kv WHERE key = '${KV.eventCounter}'`),
  insertEndpoint: plan<[EndpointRow]>(
    `INSERT INTO notification_endpoints (${ENDPOINT_COLUMNS.join(', ')}) VALUES (${ENDPOINT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
    (row) => ENDPOINT_COLUMNS.map((c) => row[c]),
  ),
  updateEndpoint: plan<[EndpointRow]>(
    'UPDATE notification_endpoints SET name = $1, url = $2, events = $3, selector = $4, enabled = $5, disabled_reason = $6, from_event = $7 WHERE id = $8',
    (r) => [r.name, r.url, r.events, r.selector, r.enabled, r.disabled_reason, r.from_event, r.id],
  ),
  deleteEndpoint: plan<[string]>('DELETE FROM notification_endpoints WHERE id = $1'),
  deleteDeliveriesOf: plan<[string]>('DELETE FROM notification_deliveries WHERE endpoint_id = $1'),
  endpointById: plan<[string], EndpointRow>('SELECT * FROM notification_endpoints WHERE id = $1'),
  allEndpoints: plan<[], EndpointRow>('SELECT * FROM notification_endpoints ORDER BY seq'),
  cursor: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.notifyCursor}'`),
  setCursor: plan<[number]>(`UPDATE kv SET value = $1::text WHERE key = '${KV.notifyCursor}'`, (v) => [String(v)]),
  eventsAfter: plan<[number, number], EventRow>('SELECT id, time, type, node_id, body FROM events WHERE id > $1 ORDER BY id LIMIT $2'),
  nodesByIds: plan<[readonly string[]], NodeRow>('SELECT * FROM nodes WHERE id = ANY($1::text[])', (list) => [[...list]]),
  insertDeliveries: plan<[readonly NewDelivery[], number]>(
    `INSERT INTO notification_deliveries (id, endpoint_id, type, node_id, event_id, events, body, state, attempts, next_at, created_at)
     SELECT d.id, d.endpoint_id, d.type, d.node_id, d.event_id, d.events, d.body, 'pending', 0, $8, $8
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::integer[], $7::text[]) AS d(id, endpoint_id, type, node_id, event_id, events, body)`,
    (rows, now) => [rows.map((r) => r.id), rows.map((r) => r.endpointId), rows.map((r) => r.type), rows.map((r) => r.nodeId), rows.map((r) => r.eventId), rows.map((r) => r.events), rows.map((r) => r.body), now],
  ),
  due: plan<[number, number], DeliveryRow>(
    "SELECT seq, id, endpoint_id, attempts, events, created_at FROM notification_deliveries WHERE state = 'pending' AND next_at <= $1 ORDER BY seq LIMIT $2",
  ),
  byIds: plan<[readonly string[]], DeliveryRow>('SELECT * FROM notification_deliveries WHERE id = ANY($1::text[]) ORDER BY seq FOR UPDATE', (list) => [[...list]]),
  claim: plan<[readonly string[], number, number]>(
    "UPDATE notification_deliveries SET attempts = attempts + 1, last_attempt_at = $2, next_at = $3 WHERE state = 'pending' AND id = ANY($1::text[])",
    (list, now, next) => [[...list], now, next],
  ),
  fold: plan<[readonly string[], string]>(
    "UPDATE notification_deliveries SET state = 'folded', folded_into = $2 WHERE state = 'pending' AND id = ANY($1::text[])",
    (list, digest) => [[...list], digest],
  ),
  finish: plan<[string, string, number, string]>('UPDATE notification_deliveries SET state = $2, next_at = $3, last_answer = $4 WHERE id = $1'),
  expire: plan<[number, string]>(
    "UPDATE notification_deliveries SET state = 'dead', last_answer = coalesce(last_answer, $2) WHERE state = 'pending' AND created_at < $1",
  ),
  retry: plan<[string, number]>("UPDATE notification_deliveries SET state = 'pending', next_at = $2, created_at = $2 WHERE id = $1"),
  list: plan<[DeliveryQuery], DeliveryRow>(
    `SELECT * FROM notification_deliveries
     WHERE ($1::text IS NULL OR endpoint_id = $1) AND ($2::text IS NULL OR state = $2) AND ($3::bigint IS NULL OR seq < $3)
     ORDER BY seq DESC LIMIT $4`,
    (q) => [q.endpointId, q.state, q.beforeSeq, q.limit],
  ),
  byId: plan<[string], DeliveryRow>('SELECT * FROM notification_deliveries WHERE id = $1'),
  prune: plan<[number, number]>(
    "DELETE FROM notification_deliveries WHERE seq IN (SELECT seq FROM notification_deliveries WHERE state <> 'pending' AND created_at < $1 ORDER BY seq LIMIT $2)",
  ),
  pendingStats: plan<[], { endpoint_id: string; n: number; oldest: number }>(
    "SELECT endpoint_id, count(*)::integer AS n, min(created_at) AS oldest FROM notification_deliveries WHERE state = 'pending' GROUP BY endpoint_id",
  ),
};
