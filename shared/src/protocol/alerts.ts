import { Type, type Static } from '@sinclair/typebox';

export const AlertKind = Type.Union([
  Type.Literal('camera.offline'), Type.Literal('camera.online'),
  Type.Literal('agent.lost'), Type.Literal('agent.back'),
  Type.Literal('disk.low'), Type.Literal('recorder.failing'), Type.Literal('vehicle.link-lost'),
  Type.Literal('vehicle.link-back'), Type.Literal('vehicle.conflict'), Type.Literal('flight-log.rejected'),
  Type.Literal('lighting.output-down'),
]);
export type AlertKind = Static<typeof AlertKind>;

export const AlertSeverity = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')]);
export type AlertSeverity = Static<typeof AlertSeverity>;

export const AlertAck = Type.Object({
  by: Type.String(),
  at: Type.String(),
  comment: Type.String({ maxLength: 1000 }),
}, { additionalProperties: false });
export type AlertAck = Static<typeof AlertAck>;

/** Something an operator should know about. One open alert per `key`: repeats count up `occurrences`. */
export const Alert = Type.Object({
  id: Type.String(),
  /** The de-duplication key, e.g. `camera-offline:<cameraId>`. */
  key: Type.String(),
  kind: AlertKind,
  severity: AlertSeverity,
  siteId: Type.String(),
  agentId: Type.Optional(Type.String()),
  cameraId: Type.Optional(Type.String()),
  title: Type.String(),
  detail: Type.String(),
  raisedAt: Type.String(),
  resolvedAt: Type.Optional(Type.String()),
  acknowledged: Type.Optional(AlertAck),
  occurrences: Type.Integer({ minimum: 1 }),
}, { additionalProperties: false });
export type Alert = Static<typeof Alert>;

/** Pushed to consoles whenever an alert is raised, repeats, resolves or is acknowledged. */
export const AlertChanged = Type.Object({
  alert: Alert,
  /** Alerts that still want an operator's acknowledgement. */
  unacknowledged: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type AlertChanged = Static<typeof AlertChanged>;

export const AlertList = Type.Object({
  alerts: Type.Array(Alert),
  unacknowledged: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type AlertList = Static<typeof AlertList>;

export const DeliveryAttempt = Type.Object({
  at: Type.String(),
  status: Type.Optional(Type.Integer()),
  error: Type.Optional(Type.String()),
}, { additionalProperties: false });
export type DeliveryAttempt = Static<typeof DeliveryAttempt>;

/** One alert on its way to one outside channel, with every attempt made so far. */
export const AlertDelivery = Type.Object({
  id: Type.String(),
  alertId: Type.String(),
  /** `webhook:<origin>#<digest of the URL>` or `email`. */
  channel: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  createdAt: Type.String(),
  nextAt: Type.Optional(Type.String()),
  attempts: Type.Array(DeliveryAttempt),
}, { additionalProperties: false });
export type AlertDelivery = Static<typeof AlertDelivery>;
