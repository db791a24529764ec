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

/**
 * A stream or snapshot address as a camera page may show it: never with credentials in it
 * (the agent adds them only when ffmpeg starts), so a leak is refused at the wire.
 */
export const CameraAddress = Type.String({ maxLength: 2048, pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#@]*(?:[/?#]|$)' });

/** One media profile of a camera, as ONVIF GetProfiles, GetStreamUri and GetSnapshotUri describe it. */
export const CameraProfile = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 128 }),
  name: Type.String({ maxLength: 128 }),
  /** Upper case without dots: H264, H265, JPEG, MPEG4. */
  encoding: Type.String({ maxLength: 32 }),
  width: Type.Integer({ minimum: 0 }),
  height: Type.Integer({ minimum: 0 }),
  fps: Type.Number({ minimum: 0 }),
  /** kbit/s, when the camera states a limit. */
  bitrate: Type.Optional(Type.Number({ minimum: 0 })),
  /** The RTSP address the agent uses: the host it reached the camera at, the camera's port, path and query. */
  streamUri: Type.Optional(CameraAddress),
  /** What the camera itself reported, only when its host differs from the one that reaches it. */
  reportedStreamUri: Type.Optional(CameraAddress),
  snapshotUri: Type.Optional(CameraAddress),
  reportedSnapshotUri: Type.Optional(CameraAddress),
}, { additionalProperties: false });
export type CameraProfile = Static<typeof CameraProfile>;

/** How a console or the CLI shows an address the agent uses, and the camera's own when its host differs. */
export function addressText(uri: string, reported: string | undefined): string {
  return reported ? `${uri} (the camera reports ${reported})` : uri;
}

/** Cameras list a handful; an encoder or recorder posing as a camera may list one per channel. */
export const MAX_CAMERA_PROFILES = 64;

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
  firmwareVersion: Type.Optional(Type.String({ maxLength: 128 })),
  /** Exactly as the camera wrote it: leading zeros and long digit runs are not numbers. */
  serialNumber: Type.Optional(Type.String({ maxLength: 128 })),
  /** Every media profile; absent from agents older than profile reporting. */
  profiles: Type.Optional(Type.Array(CameraProfile, { maxItems: MAX_CAMERA_PROFILES })),
  /** The profile recorded: the highest-resolution H.264 one, or the one an operator chose. */
  mainProfileToken: Type.Optional(Type.String({ maxLength: 128 })),
  /** The smallest H.264 profile, for live grids (the main one when there is only one). */
  subProfileToken: Type.Optional(Type.String({ maxLength: 128 })),
}, { additionalProperties: false });
export type CameraInfo = Static<typeof CameraInfo>;

export const RecordedRange = Type.Object({
  start: Type.String({ maxLength: 40 }),
  end: Type.String({ maxLength: 40 }),
}, { additionalProperties: false });
export type RecordedRange = Static<typeof RecordedRange>;
