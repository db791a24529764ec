import { Type, type Static } from '@sinclair/typebox';
import { CameraHealth, CameraInfo } from './cameras';
import { FlightLogChunk, VehicleConflictEvent, VehicleLinkEvent, VehicleList } from './drones';
import { LightingOutputEvent, LightingSwitched } from './lighting';
import { Request, Response } from './requests';

/** WebSocket path on the hub where agents dial in. */
export const AGENT_WS_PATH = '/agent/ws';

/** Close codes the hub uses, so an agent can tell a fatal refusal from a drop. */
export const AgentCloseCode = {
  /** Token unknown, malformed or revoked: retrying with the same token cannot help. */
  unauthorized: 4401,
  /** Another connection for the same agent took over. */
  replaced: 4409,
  /** Peer broke the protocol repeatedly. */
  protocol: 4400,
} as const;

const Name = Type.String({ minLength: 1, maxLength: 128 });
const EventKind = Type.String({ pattern: '^[a-z][a-z0-9]*([.-][a-z0-9]+)*$', maxLength: 64 });

export const Hello = Type.Object({
  agentName: Name,
  version: Type.String({ maxLength: 64 }),
  hostname: Type.String({ maxLength: 255 }),
  /** Highest outbox sequence the agent has assigned (0 when none). */
  lastSeq: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });

export const AgentStatus = Type.Object({
  uptimeS: Type.Number({ minimum: 0 }),
  outboxPending: Type.Integer({ minimum: 0 }),
  cameras: Type.Integer({ minimum: 0 }),
  drones: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });

/** A fact that must reach the hub exactly once; carried in an envelope with `seq`. */
export const AgentEvent = Type.Object({
  kind: EventKind,
  at: Type.String({ maxLength: 40 }),
  data: Type.Record(Type.String(), Type.Unknown()),
}, { additionalProperties: false });
export type AgentEvent = Static<typeof AgentEvent>;

export const ProtocolError = Type.Object({
  reason: Type.String({ maxLength: 1024 }),
  ref: Type.Optional(Type.String({ maxLength: 64 })),
}, { additionalProperties: false });

/** The site's cameras with their current health: lossy, the newest report replaces the last. */
export const CameraList = Type.Object({
  cameras: Type.Array(Type.Object({ info: CameraInfo, health: CameraHealth }, { additionalProperties: false }), { maxItems: 512 }),
}, { additionalProperties: false });
export type CameraList = Static<typeof CameraList>;

/** Outbox event kinds the hub interprets, with the schema of their data. Others are stored as they are. */
export const AgentEventData = {
  'camera.state': CameraHealth,
  'vehicle.link': VehicleLinkEvent,
  'vehicle.conflict': VehicleConflictEvent,
  'flight.log': FlightLogChunk,
  'lighting.switched': LightingSwitched,
  'lighting.output': LightingOutputEvent,
};

/** What an agent may send to the hub. */
export const AgentToHub = {
  hello: Hello,
  status: AgentStatus,
  cameras: CameraList,
  vehicles: VehicleList,
  event: AgentEvent,
  response: Response,
  error: ProtocolError,
};

export const Welcome = Type.Object({
  agentId: Type.String(),
  siteId: Type.String(),
  siteName: Type.String(),
  /** Highest sequence the hub has stored for this agent; the agent resends from the next one. */
  ackedSeq: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });

export const Ack = Type.Object({ seq: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });

/** What the hub may send to an agent. */
export const HubToAgent = {
  welcome: Welcome,
  ack: Ack,
  request: Request,
  error: ProtocolError,
};
