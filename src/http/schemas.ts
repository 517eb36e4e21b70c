// Request and response schemas (TypeBox → JSON Schema). Bodies are validated strictly at the edge:
// no coercion ("4" is not 4); unknown top-level keys are ignored; meta_data keeps unknown keys.
import { Type, type Static } from '@sinclair/typebox';
import { LIMITS } from '../limits.js';

const NonEmptyString = Type.String({ minLength: 1, maxLength: LIMITS.maxStringLength });
const BoundedString = Type.String({ maxLength: LIMITS.maxStringLength });
const AnyObject = Type.Object({}, { additionalProperties: true });
const NullableString = Type.Union([Type.String(), Type.Null()]);
/** A count: a non-negative integer that JSON numbers carry exactly (2^53 and beyond would be rounded). */
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** meta_data: well-known keys typed when present, anything else kept as given. */
export const MetaDataSchema = Type.Object(
  {
    hostname: Type.Optional(BoundedString),
    ip: Type.Optional(BoundedString),
    env: Type.Optional(BoundedString),
    user: Type.Optional(BoundedString),
    instance: Type.Optional(BoundedString),
    cpu_number: Type.Optional(Count),
    memory_in_bytes: Type.Optional(Count),
    gpu_number: Type.Optional(Count),
  },
  { additionalProperties: true },
);

/** POST /nodes body. `id` null or "" counts as absent. */
export const RegisterBody = Type.Object({
  id: Type.Optional(Type.Union([BoundedString, Type.Null()])),
  name: NonEmptyString,
  type: NonEmptyString,
  version: NonEmptyString,
  meta_data: MetaDataSchema,
});
/** A validated registration body. */
export type RegisterBody = Static<typeof RegisterBody>;

/** PUT /nodes/{id}/status body; `timestamp` is further checked as RFC 3339 by the route. */
export const StatusBody = Type.Object({
  timestamp: Type.String(),
  health: Type.Record(Type.String(), AnyObject),
});
/** A validated status body. */
export type StatusBody = Static<typeof StatusBody>;

/** PUT /nodes/{id}/config body; at least one field (checked by the route). */
export const ConfigBody = Type.Object({
  config: Type.Optional(AnyObject),
  label: Type.Optional(Type.Array(Type.String({ maxLength: LIMITS.maxLabelLength }), { maxItems: LIMITS.maxLabels })),
});
/** A validated config body. */
export type ConfigBody = Static<typeof ConfigBody>;

/** The `{id}` path parameter. */
export const IdParams = Type.Object({ id: Type.String() });
/** A validated `{id}` parameter. */
export type IdParams = Static<typeof IdParams>;

const Status = Type.Union([Type.Literal('initialized'), Type.Literal('online'), Type.Literal('offline')]);

/** The full node object (response). */
export const NodeJson = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  version: Type.String(),
  status: Status,
  config: AnyObject,
  label: Type.Array(Type.String()),
  meta_data: AnyObject,
  health: AnyObject,
  register_time: Type.String(),
  last_report: NullableString,
  agent_last_report: NullableString,
  last_updated: Type.String(),
  status_since: Type.String(),
  flapping: Type.Boolean(),
  clock_skew_seconds: Type.Union([Type.Number(), Type.Null()]),
  health_state: Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('unknown')]),
  conditions: Type.Array(Type.Object({ component: Type.String(), status: Type.String(), since: Type.String(), message: NullableString })),
  maintenance: Type.Union([
    Type.Object({ window: Type.String(), reason: NullableString, actor: NullableString, ends_at: NullableString }),
    Type.Null(),
  ]),
});

/** A maintenance window (SPEC §13, response). */
export const WindowJson = Type.Object({
  id: Type.String(),
  selector: Type.String(),
  nodes: Type.Array(Type.String()),
  reason: Type.String(),
  actor: Type.String(),
  starts_at: Type.String(),
  ends_at: Type.String(),
  created_at: Type.String(),
  ended_at: NullableString,
  state: Type.Union([Type.Literal('scheduled'), Type.Literal('active'), Type.Literal('ended')]),
  cancelled: Type.Boolean(),
  matched: Type.Integer(),
});

/** The answer to a new registration in token mode: the node and its token, shown only this once. */
export const NodeJsonWithToken = Type.Composite([NodeJson, Type.Object({ token: Type.Optional(Type.String()) })]);

/** The answer to a token rotation. */
export const TokenJson = Type.Object({ id: Type.String(), token: Type.String() });

/** One entry of GET /nodes (response). */
export const NodeSummaryJson = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Status,
  type: Type.String(),
  version: Type.String(),
});

/** GET /nodes/statistics (response). */
export const StatisticsJson = Type.Object({
  total: Type.Integer(),
  status_statistics: Type.Array(Type.Object({ status: Status, count: Type.Integer() })),
});

/** `GET /nodes/statistics?by=` (SPEC §17): a group per value (null: the nodes without one). */
/** The window's part of an availability or history answer (SPEC §17). */
const WindowHead = { window: Type.String(), from: Type.String(), to: Type.String(), complete: Type.Boolean() };
const Ratio = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);
const AvailabilityFigures = { online_ratio: Ratio, offline_seconds: Type.Number(), incidents: Type.Integer(), maintenance_seconds: Type.Number() };

/** GET /availability (SPEC §17). */
export const AvailabilityJson = Type.Object({
  ...WindowHead,
  total: Type.Object({ nodes: Type.Integer(), ...AvailabilityFigures }),
  nodes: Type.Array(Type.Object({ id: Type.String(), ...AvailabilityFigures, complete: Type.Optional(Type.Literal(false)), from: Type.Optional(Type.String()) })),
});

/** GET /availability?by= (the dashboard's table). */
export const GroupedAvailabilityJson = Type.Object({
  ...WindowHead,
  groups: Type.Array(Type.Object({ key: NullableString, nodes: Type.Integer(), ...AvailabilityFigures })),
});

/** GET /nodes/{id}/availability (SPEC §17). */
export const NodeAvailabilityJson = Type.Object({ ...WindowHead, id: Type.String(), ...AvailabilityFigures });

/** GET /fleet/history (SPEC §17). */
export const FleetHistoryJson = Type.Object({
  ...WindowHead,
  step_seconds: Type.Number(),
  points: Type.Array(Type.Object({ time: Type.String(), online: Type.Integer(), offline: Type.Integer(), initialized: Type.Integer(), degraded: Type.Integer(), maintenance: Type.Integer() })),
});

export const GroupedStatisticsJson = Type.Object({
  total: Type.Integer(),
  groups: Type.Array(Type.Object({
    key: Type.Union([Type.String(), Type.Null()]),
    total: Type.Integer(),
    status_statistics: Type.Array(Type.Object({ status: Status, count: Type.Integer() })),
    capacity: Type.Object({ cpu_number: Type.Number(), gpu_number: Type.Number(), memory_in_bytes: Type.Number() }),
  })),
});

/** Every error body. */
/** A notification endpoint (SPEC §15); `secret` only in the answer that made it. */
export const EndpointJson = Type.Object({
  id: Type.String(), name: Type.String(), url: Type.String(), kind: Type.String(), events: Type.Array(Type.String()), selector: Type.String(),
  enabled: Type.Boolean(), disabled_reason: Type.Union([Type.String(), Type.Null()]), created_at: Type.String(),
  secret: Type.Optional(Type.String()),
});
/** A notification delivery (SPEC §15). */
export const DeliveryJson = Type.Object({
  id: Type.String(), endpoint: Type.String(), type: Type.String(), node_id: NullableString, event_id: Type.Union([Type.Number(), Type.Null()]),
  events: Type.Number(), state: Type.String(), attempts: Type.Number(), created_at: Type.String(), last_attempt_at: NullableString,
  last_answer: NullableString, next_attempt_at: NullableString, folded_into: NullableString,
});

export const ErrorJson = Type.Object({ error: Type.String() });
