import { Type, type Static } from '@sinclair/typebox';
import { AlertChanged } from './alerts';
import { CameraHealth, CameraInfo } from './cameras';
import { FlightView, VehicleView } from './drones';
import { LightingChanged } from './lighting';

export const CONSOLE_WS_PATH = '/console/ws';

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('security'), Type.Literal('pilot')]);
export type Role = Static<typeof Role>;
export const ROLES: readonly Role[] = ['admin', 'operator', 'security', 'pilot'];

export const AgentView = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  name: Type.String(),
  online: Type.Boolean(),
  lastSeen: Type.Union([Type.String(), Type.Null()]),
  version: Type.Union([Type.String(), Type.Null()]),
  hostname: Type.Union([Type.String(), Type.Null()]),
  revoked: Type.Boolean(),
  outboxPending: Type.Union([Type.Integer(), Type.Null()]),
}, { additionalProperties: false });
export type AgentView = Static<typeof AgentView>;

export const SiteView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
}, { additionalProperties: false });
export type SiteView = Static<typeof SiteView>;

/** A camera as the hub knows it: what its agent last reported, and where it lives. */
export const CameraView = Type.Object({
  agentId: Type.String(),
  siteId: Type.String(),
  info: CameraInfo,
  health: CameraHealth,
  /** False when the agent is offline: the health shown is the last one reported. */
  current: Type.Boolean(),
}, { additionalProperties: false });
export type CameraView = Static<typeof CameraView>;

export const FleetSnapshot = Type.Object({
  sites: Type.Array(SiteView),
  agents: Type.Array(AgentView),
  cameras: Type.Array(CameraView),
}, { additionalProperties: false });
export type FleetSnapshot = Static<typeof FleetSnapshot>;

/** What the hub pushes to a signed-in console. */
export const HubToConsole = {
  'fleet.snapshot': FleetSnapshot,
  'agent.changed': AgentView,
  'site.changed': SiteView,
  'camera.changed': CameraView,
  'alert.changed': AlertChanged,
  'vehicle.changed': VehicleView,
  'flight.changed': FlightView,
  'lighting.changed': LightingChanged,
  pong: Type.Object({}, { additionalProperties: false }),
  error: Type.Object({ reason: Type.String() }, { additionalProperties: false }),
};

/** What a console may send to the hub. */
export const ConsoleToHub = {
  ping: Type.Object({}, { additionalProperties: false }),
};
