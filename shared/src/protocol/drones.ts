import { Type, type Static } from '@sinclair/typebox';

/**
 * Drones on the wire between agent and hub, and hub and console. Full-rate telemetry
 * stays at the edge (tlog on disk); the hub gets a ~2 Hz live view per vehicle (lossy,
 * newest wins), link-loss events and each finished flight's tlog (both through the outbox).
 */

const Iso = Type.String({ maxLength: 40 });
const SystemId = Type.Integer({ minimum: 1, maximum: 255 });

/** Live state of one vehicle as its site's agent last saw it. Optional fields: not yet heard. */
export const VehicleTelemetry = Type.Object({
  /** Stable per agent: `sys<systemId>`, or `sys<systemId>-<n>` when two vehicles share one id. */
  vehicleKey: Type.String({ maxLength: 32 }),
  systemId: SystemId,
  /** MAV_AUTOPILOT name in lower case without prefix, e.g. "ardupilotmega", "px4". */
  autopilot: Type.String({ maxLength: 32 }),
  /** MAV_TYPE name in lower case without prefix, e.g. "quadrotor", "fixed-wing", "vtol-tiltrotor". */
  vehicleType: Type.String({ maxLength: 32 }),
  /** False once no autopilot HEARTBEAT arrived for 3.5 s. */
  linkUp: Type.Boolean(),
  lastHeartbeatAt: Iso,
  armed: Type.Boolean(),
  /** Flight mode name where known (ArduPilot custom_mode names), else "mode <n>". */
  mode: Type.String({ maxLength: 32 }),
  lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
  lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  /** Metres above mean sea level (GLOBAL_POSITION_INT.alt). */
  altMslM: Type.Optional(Type.Number()),
  /** Metres above home (GLOBAL_POSITION_INT.relative_alt). */
  altRelM: Type.Optional(Type.Number()),
  headingDeg: Type.Optional(Type.Number({ minimum: 0, maximum: 360 })),
  groundSpeedMps: Type.Optional(Type.Number({ minimum: 0 })),
  batteryPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  batteryVoltageV: Type.Optional(Type.Number({ minimum: 0 })),
  /** GPS_RAW_INT.fix_type (0 no GPS … 3 3D fix … 6 RTK fixed). */
  gpsFix: Type.Optional(Type.Integer({ minimum: 0, maximum: 8 })),
  satellites: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
  /** Share of this vehicle's frames received over the last few seconds, from sequence gaps (0–100). */
  linkQualityPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  /** Set when heartbeats with this system id come from more than one vehicle. */
  conflict: Type.Optional(Type.Boolean()),
  updatedAt: Iso,
}, { additionalProperties: false });
export type VehicleTelemetry = Static<typeof VehicleTelemetry>;

/** Agent → hub live message `vehicles`: every vehicle the agent currently knows. */
export const VehicleList = Type.Object({
  vehicles: Type.Array(VehicleTelemetry, { maxItems: 64 }),
}, { additionalProperties: false });
export type VehicleList = Static<typeof VehicleList>;

/** Outbox event `vehicle.link`: an autopilot's heartbeats stopped (lost) or came back. */
export const VehicleLinkEvent = Type.Object({
  vehicleKey: Type.String({ maxLength: 32 }),
  systemId: SystemId,
  autopilot: Type.String({ maxLength: 32 }),
  vehicleType: Type.String({ maxLength: 32 }),
  state: Type.Union([Type.Literal('lost'), Type.Literal('back')]),
  lastHeartbeatAt: Iso,
}, { additionalProperties: false });
export type VehicleLinkEvent = Static<typeof VehicleLinkEvent>;

/** Outbox event `vehicle.conflict`: two vehicles send autopilot heartbeats with one system id. */
export const VehicleConflictEvent = Type.Object({
  systemId: SystemId,
  detail: Type.String({ maxLength: 512 }),
}, { additionalProperties: false });
export type VehicleConflictEvent = Static<typeof VehicleConflictEvent>;

/** Raw tlog bytes per `flight.log` event, before base64: keeps an envelope well under MAX_MESSAGE_BYTES. */
export const FLIGHT_LOG_CHUNK_BYTES = 512 * 1024;

/**
 * Outbox event `flight.log`: one chunk of a finished flight's tlog. Chunks of one flight
 * arrive in order (the outbox keeps order); the last has `final: true`, the whole file's
 * size and SHA-256, which the hub checks before it files the flight. A chunk the hub
 * already holds (same flightId and index) is ignored, so resending is harmless.
 */
export const FlightLogChunk = Type.Object({
  /** Chosen by the agent (UUID), unique per recorded flight. */
  flightId: Type.String({ pattern: '^[0-9a-f-]{36}$' }),
  vehicleKey: Type.String({ maxLength: 32 }),
  systemId: SystemId,
  index: Type.Integer({ minimum: 0, maximum: 100_000 }),
  /** Byte offset of this chunk in the tlog. */
  offset: Type.Integer({ minimum: 0 }),
  dataBase64: Type.String({ maxLength: Math.ceil(FLIGHT_LOG_CHUNK_BYTES / 3) * 4 }),
  final: Type.Boolean(),
  /** On the final chunk: total bytes and SHA-256 (hex) of the whole tlog. */
  totalBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  startedAt: Iso,
  endedAt: Type.Optional(Iso),
}, { additionalProperties: false });
export type FlightLogChunk = Static<typeof FlightLogChunk>;

/** A vehicle as the hub shows it: the agent's live telemetry plus where it flies from. */
export const VehicleView = Type.Object({
  agentId: Type.String(),
  siteId: Type.String(),
  telemetry: VehicleTelemetry,
  /** False when the agent is offline: the telemetry shown is the last received. */
  current: Type.Boolean(),
}, { additionalProperties: false });
export type VehicleView = Static<typeof VehicleView>;

/** One flight in the logbook. Heights are above home; distances in metres. */
export const FlightView = Type.Object({
  id: Type.String(),
  siteId: Type.Union([Type.String(), Type.Null()]),
  agentId: Type.Union([Type.String(), Type.Null()]),
  source: Type.Union([Type.Literal('agent'), Type.Literal('upload')]),
  systemId: SystemId,
  vehicleType: Type.String(),
  autopilot: Type.String(),
  start: Iso,
  end: Iso,
  durationS: Type.Number({ minimum: 0 }),
  distanceM: Type.Number({ minimum: 0 }),
  maxHeightM: Type.Number(),
  maxGroundSpeedMps: Type.Number({ minimum: 0 }),
  batteryUsedPercent: Type.Union([Type.Number(), Type.Null()]),
  pilot: Type.Union([Type.String(), Type.Null()]),
  notes: Type.String(),
  tlogBytes: Type.Integer({ minimum: 0 }),
  tlogSha256: Type.String(),
}, { additionalProperties: false });
export type FlightView = Static<typeof FlightView>;
