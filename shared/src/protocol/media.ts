import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The media link: a second WebSocket from each agent to the hub that carries only video (live
 * fragments, byte ranges of recorded segments, stills, exports), so a busy video stream never
 * holds up the outbox and the requests on the agent's main link.
 *
 * The hub opens a *call* (`open`, with an op and its args); the agent answers with one `head`
 * (the op's metadata), then binary frames `[16-byte call id][payload]`, then `end` or `error`.
 * Either side may stop a call: the hub with `cancel`, the agent with `error`.
 *
 * Bounded calls (byte ranges, stills, exports) are flow-controlled by credit: the agent may have
 * at most `MEDIA_INITIAL_CREDIT` bytes unacknowledged; the hub returns credit as its reader
 * drains them, so a slow downloader never grows the hub's memory. Live calls take no credit:
 * the agent drops whole GOPs when the link is congested instead (see LivePacket). The hub still
 * acknowledges live bytes on receipt with `credit` messages (every LIVE_ACK_STEP), and from the
 * first such acknowledgement the agent keeps at most LIVE_WINDOW_BYTES of live video unacknowledged
 * over the whole link: the queue at a slow uplink stays a fraction of a second long, so the main
 * link's messages do not wait behind seconds of video in the modem's buffer. (An older hub sends
 * no live acknowledgements, and its agents send live video as before.)
 */
export const MEDIA_WS_PATH = '/agent/media';
export const MEDIA_ID_BYTES = 16;
/** Bytes a bounded call may send ahead of the hub's reader. */
export const MEDIA_INITIAL_CREDIT = 8 * 1024 * 1024;
/** Largest payload in one binary frame of a bounded call. */
export const MEDIA_CHUNK_BYTES = 256 * 1024;
/** The hub acknowledges a live call's bytes in steps of this many. */
export const LIVE_ACK_STEP = 16 * 1024;
/**
 * Live video the agent may have unacknowledged on its media link, all calls together: about 0.25 s
 * of an 8 Mbit/s uplink, and above the largest keyframe of a 1080p camera at 4-6 Mbit/s.
 */
export const LIVE_WINDOW_BYTES = 256 * 1024;

const CallId = Type.String({ pattern: '^[0-9a-f]{32}$' });
const CameraId = Type.String({ minLength: 1, maxLength: 64 });
const Iso = Type.String({ minLength: 10, maxLength: 40 });

/** The first byte of every live payload; the rest is fMP4 (an init segment or one moof+mdat). */
export const LivePacket = { init: 1, keyframe: 2 } as const;

/** Which of a camera's profiles: `main` is the recorded one, `sub` the smallest H.264 one (main where there is only one). */
export const StreamChoice = Type.Union([Type.Literal('main'), Type.Literal('sub')]);
export type StreamChoice = Static<typeof StreamChoice>;

/** One fragment run of a recorded segment that starts with a keyframe: an HLS media segment. */
export const SegmentPart = Type.Object({
  /** Byte offset and length inside the segment file (moof+mdat pairs up to the next keyframe). */
  offset: Type.Integer({ minimum: 0 }),
  length: Type.Integer({ minimum: 1 }),
  /** Wall-clock time of its first frame (ISO) and its duration in seconds. */
  start: Iso,
  durationS: Type.Number({ minimum: 0 }),
}, { additionalProperties: false });
export type SegmentPart = Static<typeof SegmentPart>;

/** A recorded segment file as playback sees it: where its init is and its keyframe-aligned parts. */
export const SegmentLayout = Type.Object({
  /** The segment's path relative to the recordings folder, as the index keeps it (the only handle the hub uses). */
  path: Type.String({ minLength: 1, maxLength: 512 }),
  start: Iso,
  end: Iso,
  bytes: Type.Integer({ minimum: 0 }),
  /** ftyp+moov at the head of the file. */
  init: Type.Object({ offset: Type.Integer({ minimum: 0 }), length: Type.Integer({ minimum: 1 }) }),
  /** MSE/HLS codec string, e.g. avc1.42c01e. */
  codec: Type.String({ maxLength: 64 }),
  width: Type.Integer({ minimum: 0 }),
  height: Type.Integer({ minimum: 0 }),
  parts: Type.Array(SegmentPart),
}, { additionalProperties: false });
export type SegmentLayout = Static<typeof SegmentLayout>;

export const ExportHead = Type.Object({
  /** Exact size of the file that follows. */
  bytes: Type.Integer({ minimum: 0 }),
  startsAt: Iso,
  durationS: Type.Number({ minimum: 0 }),
  segments: Type.Integer({ minimum: 0 }),
  gaps: Type.Array(Type.Object({ from: Iso, to: Iso })),
}, { additionalProperties: false });
export type ExportHead = Static<typeof ExportHead>;

/** Each op: its args (checked by the agent), its head and end metadata (checked by the hub). */
export const MediaOps = {
  /** A live stream, repackaged to one fMP4 fragment per frame; runs until cancelled. */
  'live': {
    args: Type.Object({ cameraId: CameraId, stream: StreamChoice }, { additionalProperties: false }),
    head: Type.Object({
      codec: Type.String({ maxLength: 64 }), width: Type.Integer({ minimum: 0 }), height: Type.Integer({ minimum: 0 }),
      profileToken: Type.String({ maxLength: 128 }),
    }, { additionalProperties: false }),
    end: Type.Object({}, { additionalProperties: false }),
  },
  /** The layouts of the segments overlapping [from, to), oldest first (no binary). */
  'segments.layout': {
    args: Type.Object({ cameraId: CameraId, from: Iso, to: Iso }, { additionalProperties: false }),
    head: Type.Object({ segments: Type.Array(SegmentLayout, { maxItems: 10_000 }) }, { additionalProperties: false }),
    end: Type.Object({}, { additionalProperties: false }),
  },
  /** Bytes [offset, offset+length) of one indexed segment file. */
  'segments.read': {
    args: Type.Object({
      cameraId: CameraId, path: Type.String({ minLength: 1, maxLength: 512 }),
      offset: Type.Integer({ minimum: 0 }), length: Type.Integer({ minimum: 1, maximum: 256 * 1024 * 1024 }),
    }, { additionalProperties: false }),
    head: Type.Object({ length: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
    end: Type.Object({}, { additionalProperties: false }),
  },
  /** A JPEG of the keyframe at or before `at`, decoded on demand. */
  'still': {
    args: Type.Object({ cameraId: CameraId, at: Iso, width: Type.Optional(Type.Integer({ minimum: 32, maximum: 1920 })) }, { additionalProperties: false }),
    head: Type.Object({ takenAt: Iso, bytes: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    end: Type.Object({}, { additionalProperties: false }),
  },
  /** One MP4 of [from, to), the segments concatenated without re-encoding; the hash comes at the end. */
  'export': {
    args: Type.Object({ cameraId: CameraId, from: Iso, to: Iso }, { additionalProperties: false }),
    head: ExportHead,
    end: Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { additionalProperties: false }),
  },
} satisfies Record<string, { args: TSchema; head: TSchema; end: TSchema }>;

export type MediaOp = keyof typeof MediaOps;
export type MediaArgs<K extends MediaOp> = Static<(typeof MediaOps)[K]['args']>;
export type MediaHead<K extends MediaOp> = Static<(typeof MediaOps)[K]['head']>;
export type MediaEnd<K extends MediaOp> = Static<(typeof MediaOps)[K]['end']>;

export const MediaErrorCode = Type.Union([
  Type.Literal('bad-args'), Type.Literal('not-found'), Type.Literal('no-footage'), Type.Literal('too-long'),
  Type.Literal('camera-offline'), Type.Literal('unsupported'), Type.Literal('busy'), Type.Literal('failed'), Type.Literal('unknown-op'),
]);
export type MediaErrorCode = Static<typeof MediaErrorCode>;

/** Text messages, hub → agent. */
export const HubMediaMessage = Type.Union([
  Type.Object({ t: Type.Literal('open'), id: CallId, op: Type.String({ maxLength: 64 }), args: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ t: Type.Literal('cancel'), id: CallId }, { additionalProperties: false }),
  Type.Object({ t: Type.Literal('credit'), id: CallId, bytes: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
]);
export type HubMediaMessage = Static<typeof HubMediaMessage>;

/** Text messages, agent → hub. */
export const AgentMediaMessage = Type.Union([
  Type.Object({ t: Type.Literal('head'), id: CallId, meta: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ t: Type.Literal('end'), id: CallId, meta: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ t: Type.Literal('error'), id: CallId, code: MediaErrorCode, message: Type.String({ maxLength: 1000 }) }, { additionalProperties: false }),
]);
export type AgentMediaMessage = Static<typeof AgentMediaMessage>;
