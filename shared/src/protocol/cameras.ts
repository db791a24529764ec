import { Type, type Static } from '@sinclair/typebox';

export const CameraStateName = Type.Union([Type.Literal('online'), Type.Literal('degraded'), Type.Literal('offline')]);
export type CameraStateName = Static<typeof CameraStateName>;

/** Why a camera is not simply online. `null` when it is. */
export const CameraReason = Type.Union([
  Type.Literal('unreachable'), Type.Literal('unauthorized'), Type.Literal('stalled'), Type.Literal('no-video'),
  Type.Literal('recorder-restarting'), Type.Literal('clock-skew'), Type.Literal('disk-low'),
]);
export type CameraReason = Static<typeof CameraReason>;

export const CameraHealth = Type.Object({
  cameraId: Type.String({ maxLength: 64 }),
  state: CameraStateName,
  reason: Type.Union([CameraReason, Type.Null()]),
  /** When the state last changed (ISO-8601). */
  since: Type.String({ maxLength: 40 }),
  detail: Type.Optional(Type.String({ maxLength: 512 })),
}, { additionalProperties: false });
export type CameraHealth = Static<typeof CameraHealth>;

export const CameraInfo = Type.Object({
  id: Type.String({ maxLength: 64 }),
  name: Type.String({ maxLength: 128 }),
  deviceUrl: Type.String({ maxLength: 512 }),
  manufacturer: Type.Optional(Type.String({ maxLength: 128 })),
  model: Type.Optional(Type.String({ maxLength: 128 })),
  encoding: Type.Optional(Type.String({ maxLength: 32 })),
  width: Type.Optional(Type.Integer({ minimum: 0 })),
  height: Type.Optional(Type.Integer({ minimum: 0 })),
  fps: Type.Optional(Type.Number({ minimum: 0 })),
  clockOffsetMs: Type.Optional(Type.Number()),
}, { additionalProperties: false });
export type CameraInfo = Static<typeof CameraInfo>;

export const RecordedRange = Type.Object({
  start: Type.String({ maxLength: 40 }),
  end: Type.String({ maxLength: 40 }),
}, { additionalProperties: false });
export type RecordedRange = Static<typeof RecordedRange>;
