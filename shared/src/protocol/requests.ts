import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CameraInfo } from './cameras';
import { LightingRequests } from './lighting';

export const LegalHoldView = Type.Object({
  id: Type.String(), cameraId: Type.String(), from: Type.String(), to: Type.String(),
  reason: Type.String(), createdAt: Type.String(), by: Type.String(),
}, { additionalProperties: false });
export type LegalHoldView = Static<typeof LegalHoldView>;

const CameraRetention = Type.Object({
  maxAgeHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366 })),
  purpose: Type.Optional(Type.String({ minLength: 10, maxLength: 1000 })),
}, { additionalProperties: false });

/** A site's retention policy as the hub sets it (GDPR storage limitation: 72 h unless a purpose is recorded). */
export const RetentionPolicyView = Type.Object({
  maxAgeHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366 }),
  purpose: Type.Optional(Type.String({ minLength: 10, maxLength: 1000 })),
  minFreePercent: Type.Number({ minimum: 0, maximum: 90 }),
  cameras: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), CameraRetention)),
}, { additionalProperties: false });
export type RetentionPolicyView = Static<typeof RetentionPolicyView>;

export const StorageView = Type.Object({
  disk: Type.Object({ totalBytes: Type.Number(), freeBytes: Type.Number(), floorBytes: Type.Number() }),
  policy: RetentionPolicyView,
  cameras: Type.Array(Type.Object({
    cameraId: Type.String(), bytes: Type.Number(), segments: Type.Integer(),
    oldest: Type.Optional(Type.String()), newest: Type.Optional(Type.String()),
    gaps: Type.Array(Type.Object({ from: Type.String(), to: Type.String() })),
  })),
}, { additionalProperties: false });
export type StorageView = Static<typeof StorageView>;

const Count = Type.Integer({ minimum: 0 });

/** One MAVLink endpoint of an agent with its counters since the agent started (all its peers together). */
export const DroneLinkView = Type.Object({
  name: Type.String({ maxLength: 64 }),
  kind: Type.Union([Type.Literal('serial'), Type.Literal('udp-server'), Type.Literal('udp-client'), Type.Literal('tcp-server'), Type.Literal('tcp-client')]),
  up: Type.Boolean(),
  /** UDP addresses heard / TCP connections now; 1 for an open serial port or client. */
  peers: Count,
  /** Why it is down, while it is. */
  error: Type.Optional(Type.String({ maxLength: 512 })),
  counters: Type.Object({
    rxFrames: Count, rxBytes: Count, unknownIds: Count, crcErrors: Count, lengthErrors: Count, truncated: Count,
    droppedBytes: Count, seqGaps: Count, seqLost: Count, txFrames: Count, txBytes: Count, txDropped: Count,
  }, { additionalProperties: false }),
}, { additionalProperties: false });
export type DroneLinkView = Static<typeof DroneLinkView>;

const Param = Type.Union([Type.Number(), Type.Null()], { description: 'null where MAVLink means "unset" (NaN)' });

/** One mission item as shared/src/survey/mission-items.ts models it, in JSON (NaN params travel as null). */
export const MissionItemWire = Type.Object({
  command: Type.Integer({ minimum: 0, maximum: 65535 }),
  frame: Type.Integer({ minimum: 0, maximum: 255 }),
  param1: Param, param2: Param, param3: Param, param4: Param,
  lat: Type.Number(), lon: Type.Number(), alt: Type.Number(),
  autocontinue: Type.Boolean(),
}, { additionalProperties: false });
export type MissionItemWire = Static<typeof MissionItemWire>;

/** A vehicle's mission is at most this long here (each item ~200 bytes of JSON in one envelope). */
export const MAX_MISSION_ITEMS = 4000;
const TransferFigures = { retries: Type.Integer({ minimum: 0 }), durationMs: Type.Number({ minimum: 0 }) };

/**
 * Things the hub asks an agent to do. Each has the schema of its arguments (checked by
 * the agent) and of its result (checked by the hub). A request envelope carries an `id`;
 * the agent answers with a `response` carrying the same id.
 */
export const AgentRequests = {
  'camera.discover': {
    args: Type.Object({ timeoutMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 15_000 })) }, { additionalProperties: false }),
    result: Type.Object({
      devices: Type.Array(Type.Object({
        endpointReference: Type.String(),
        name: Type.Optional(Type.String()),
        hardware: Type.Optional(Type.String()),
        location: Type.Optional(Type.String()),
        xaddrs: Type.Array(Type.String()),
        url: Type.Union([Type.String(), Type.Null()]),
        added: Type.Boolean(),
      }), { maxItems: 1024 }),
    }, { additionalProperties: false }),
  },
  'camera.add': {
    args: Type.Object({
      url: Type.String({ pattern: '^https?://', maxLength: 512 }),
      username: Type.String({ minLength: 1, maxLength: 128 }),
      password: Type.String({ maxLength: 256 }),
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      /** The profile to record; it must be one of the camera's H.264 profiles. Default: the highest resolution one. */
      profileToken: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    }, { additionalProperties: false }),
    result: CameraInfo,
  },
  'camera.remove': {
    args: Type.Object({ cameraId: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
    result: Type.Object({ removed: Type.Boolean() }, { additionalProperties: false }),
  },
  'camera.snapshot': {
    args: Type.Object({ cameraId: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
    result: Type.Object({ jpegBase64: Type.String({ maxLength: 1_800_000 }), takenAt: Type.String() }, { additionalProperties: false }),
  },
  'holds.place': {
    args: Type.Object({
      cameraId: Type.String({ maxLength: 64 }), from: Type.String({ maxLength: 40 }), to: Type.String({ maxLength: 40 }),
      reason: Type.String({ minLength: 5, maxLength: 500 }), by: Type.String({ maxLength: 64 }),
    }, { additionalProperties: false }),
    result: LegalHoldView,
  },
  'holds.release': {
    args: Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
    result: LegalHoldView,
  },
  'holds.list': {
    args: Type.Object({ cameraId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
    result: Type.Object({ holds: Type.Array(LegalHoldView) }, { additionalProperties: false }),
  },
  /** Applies and keeps a new policy; the answer is the agent's confirmation. */
  'retention.set': {
    args: RetentionPolicyView,
    result: Type.Object({ applied: RetentionPolicyView, appliedAt: Type.String() }, { additionalProperties: false }),
  },
  'storage.report': {
    args: Type.Object({}, { additionalProperties: false }),
    result: StorageView,
  },
  'recordings.ranges': {
    args: Type.Object({ cameraId: Type.String({ maxLength: 64 }), from: Type.String({ maxLength: 40 }), to: Type.String({ maxLength: 40 }) }, { additionalProperties: false }),
    result: Type.Object({
      ranges: Type.Array(Type.Object({ start: Type.String(), end: Type.String() })),
      gaps: Type.Array(Type.Object({ start: Type.String(), end: Type.String() })),
      bytes: Type.Integer({ minimum: 0 }),
    }, { additionalProperties: false }),
  },
  ...LightingRequests,
  /** Replaces vehicle `systemId`'s mission with the MAVLink mission protocol (items in the vehicle's numbering). */
  'mission.upload': {
    args: Type.Object({ systemId: Type.Integer({ minimum: 1, maximum: 255 }), items: Type.Array(MissionItemWire, { maxItems: MAX_MISSION_ITEMS }) }, { additionalProperties: false }),
    result: Type.Object({ count: Type.Integer({ minimum: 0 }), ...TransferFigures }, { additionalProperties: false }),
  },
  /** Reads vehicle `systemId`'s current mission. */
  'mission.download': {
    args: Type.Object({ systemId: Type.Integer({ minimum: 1, maximum: 255 }) }, { additionalProperties: false }),
    result: Type.Object({ items: Type.Array(MissionItemWire, { maxItems: MAX_MISSION_ITEMS }), ...TransferFigures }, { additionalProperties: false }),
  },
  /** The agent's MAVLink endpoints: up or down, frames, bytes, CRC errors, sequence gaps. */
  'drones.links': {
    args: Type.Object({}, { additionalProperties: false }),
    result: Type.Object({ links: Type.Array(DroneLinkView, { maxItems: 32 }) }, { additionalProperties: false }),
  },
} satisfies Record<string, { args: TSchema; result: TSchema }>;

export type RequestOp = keyof typeof AgentRequests;
export type RequestArgs<K extends RequestOp> = Static<(typeof AgentRequests)[K]['args']>;
export type RequestResult<K extends RequestOp> = Static<(typeof AgentRequests)[K]['result']>;

/** Error codes an agent answers with; `message` says the rest in words for a person. */
export const RequestErrorCode = Type.Union([
  Type.Literal('bad-request'), Type.Literal('unknown-op'), Type.Literal('not-found'), Type.Literal('unreachable'),
  Type.Literal('unauthorized'), Type.Literal('clock-skew'), Type.Literal('protocol'), Type.Literal('conflict'),
  Type.Literal('timeout'), Type.Literal('internal'),
]);
export type RequestErrorCode = Static<typeof RequestErrorCode>;

export const Request = Type.Object({
  op: Type.String({ maxLength: 64 }),
  args: Type.Unknown(),
}, { additionalProperties: false });

export const Response = Type.Union([
  Type.Object({ ok: Type.Literal(true), result: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ ok: Type.Literal(false), error: Type.Object({ code: RequestErrorCode, message: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }) }, { additionalProperties: false }),
]);
export type Response = Static<typeof Response>;
