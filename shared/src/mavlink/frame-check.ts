// Checks one MAVLink frame the way a router does, from its bytes alone: start byte, length,
// and the X.25 (CRC-16/MCRF4XX) checksum seeded with the message's CRC_EXTRA. Nothing is
// decoded: routing needs only the header, and a full parse costs ~3x the CPU of routing
// (DESIGN §4). CRC_EXTRA and lengths come from the node-mavlink message registries
// (mavlink-mappings): ardupilotmega.xml and what it includes (common, standard, minimal,
// uAvionix, icarous). standard.xml matters: AUTOPILOT_VERSION lives there now, not in
// common. A message id missing from them cannot be checked, so its frames are passed on as
// they are, like mavlink-router does. The numbers are read from a generated table
// (message-table.ts) rather than the registries, which cost the agent ~30 MB to load.

import { MAVLINK_MESSAGE_TABLE } from './message-table';
import { MAVLINK_V1_START, MAVLINK_V2_START } from './tlog';

const V2_INCOMPAT_SIGNED = 0x01;
export const V1_HEADER_BYTES = 6;
export const V2_HEADER_BYTES = 10;
const CRC_BYTES = 2;
export const SIGNATURE_BYTES = 13;

interface MessageInfo {
  crcExtra: number;
  /** Payload length with every extension field: a frame claiming more is damaged. */
  maxLength: number;
  /** Offset of the target_system field in the payload, or -1 for messages with no target. */
  targetSystemOffset: number;
}

// One flat table by message id: the lookup runs for every frame on the relay's hot path.
// Ids in these dialects stay below 2^16 (checked when the table is built).
const TABLE_SIZE = 1 << 16;
const crcExtras = new Int16Array(TABLE_SIZE).fill(-1);
const maxLengths = new Uint8Array(TABLE_SIZE);
const targetOffsets = new Int16Array(TABLE_SIZE).fill(-1);

function loadTable(): void {
  for (let i = 0; i + 3 < MAVLINK_MESSAGE_TABLE.length; i += 4) {
    const id = MAVLINK_MESSAGE_TABLE[i]!;
    if (id < 0 || id >= TABLE_SIZE) continue;
    crcExtras[id] = MAVLINK_MESSAGE_TABLE[i + 1]!;
    maxLengths[id] = MAVLINK_MESSAGE_TABLE[i + 2]!;
    targetOffsets[id] = MAVLINK_MESSAGE_TABLE[i + 3]!;
  }
}
loadTable();

/** What is known about a message id, or undefined when the registries do not have it. */
export function messageInfo(msgid: number): MessageInfo | undefined {
  if (msgid < 0 || msgid >= TABLE_SIZE) return undefined;
  const crcExtra = crcExtras[msgid] ?? -1;
  if (crcExtra < 0) return undefined;
  return { crcExtra, maxLength: maxLengths[msgid] ?? 0, targetSystemOffset: targetOffsets[msgid] ?? -1 };
}

/** One byte into a running CRC-16/MCRF4XX (MAVLink's "X.25"). */
function crcByte(crc: number, byte: number): number {
  let tmp = byte ^ (crc & 0xff);
  tmp = (tmp ^ (tmp << 4)) & 0xff;
  return ((crc >> 8) ^ (tmp << 8) ^ (tmp << 3) ^ (tmp >> 4)) & 0xffff;
}

/** Feeds bytes buf[from..to) into a running CRC-16/MCRF4XX; start with 0xffff. */
export function crcAccumulate(crc: number, buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) crc = crcByte(crc, buf[i] as number);
  return crc;
}

/**
 * The CRC a frame must carry: over everything after the start byte up to the CRC, then
 * CRC_EXTRA. `payloadLength` is the frame's length byte; the frame need not be complete.
 */
export function frameCrc(buf: Uint8Array, at: number, payloadLength: number, crcExtra: number): number {
  const headerBytes = buf[at] === MAVLINK_V2_START ? V2_HEADER_BYTES : V1_HEADER_BYTES;
  return crcByte(crcAccumulate(0xffff, buf, at + 1, at + headerBytes + payloadLength), crcExtra);
}

export type FrameVerdict =
  /** Known message, CRC right. */
  | 'ok'
  /** Message id not in the registries: the CRC cannot be checked, pass it on as it is. */
  | 'unknown-id'
  /** Known message, CRC wrong: damaged (or from a different revision of the message). */
  | 'bad-crc'
  /** Known message whose length byte exceeds the message's largest payload. */
  | 'bad-length';

export type FrameScan =
  | { kind: 'frame'; length: number; verdict: FrameVerdict }
  /** buf[at] cannot start a frame (not a start byte, or v2 incompat flags we do not know). */
  | { kind: 'invalid' }
  /** Looks like a frame start but the buffer ends before the frame does; `length` when known. */
  | { kind: 'incomplete'; length?: number };

/**
 * Looks at the frame that may start at buf[at] and judges it. Signed v2 frames are
 * checked the same way (their CRC covers header and payload; the signature follows it
 * and is not verified here: that needs the link's secret key).
 */
export function scanFrame(buf: Uint8Array, at: number): FrameScan {
  const start = buf[at];
  const v2 = start === MAVLINK_V2_START;
  if (!v2 && start !== MAVLINK_V1_START) return { kind: 'invalid' };
  const have = buf.length - at;
  if (have < 3) return { kind: 'incomplete' };
  const len = buf[at + 1] as number;
  let length: number;
  let msgidOffset: number;
  if (v2) {
    const incompat = buf[at + 2] as number;
    // The spec says to drop frames with incompatibility flags we do not understand.
    if ((incompat & ~V2_INCOMPAT_SIGNED) !== 0) return { kind: 'invalid' };
    length = V2_HEADER_BYTES + len + CRC_BYTES + (incompat & V2_INCOMPAT_SIGNED ? SIGNATURE_BYTES : 0);
    msgidOffset = 7;
  } else {
    length = V1_HEADER_BYTES + len + CRC_BYTES;
    msgidOffset = 5;
  }
  if (have < msgidOffset + (v2 ? 3 : 1)) return { kind: 'incomplete', length };
  const msgid = v2
    ? (buf[at + 7] as number) | ((buf[at + 8] as number) << 8) | ((buf[at + 9] as number) << 16)
    : (buf[at + 5] as number);
  const extra = msgid < TABLE_SIZE ? (crcExtras[msgid] as number) : -1;
  // A known message's length is judged before waiting for its bytes: a damaged length byte
  // must not make a stream reader wait for (and then swallow) data that is not this frame.
  if (extra >= 0 && len > (maxLengths[msgid] as number)) return { kind: 'frame', length, verdict: 'bad-length' };
  if (have < length) return { kind: 'incomplete', length };
  if (extra < 0) return { kind: 'frame', length, verdict: 'unknown-id' };
  const crcAt = at + (v2 ? V2_HEADER_BYTES : V1_HEADER_BYTES) + len;
  const want = (buf[crcAt] as number) | ((buf[crcAt + 1] as number) << 8);
  return { kind: 'frame', length, verdict: frameCrc(buf, at, len, extra) === want ? 'ok' : 'bad-crc' };
}

/** The target system id of a frame whose id and length are known good, 0 (broadcast) when it has none. */
export function targetSystem(buf: Uint8Array, at: number): number {
  const v2 = buf[at] === MAVLINK_V2_START;
  const msgid = v2
    ? (buf[at + 7] as number) | ((buf[at + 8] as number) << 8) | ((buf[at + 9] as number) << 16)
    : (buf[at + 5] as number);
  if (msgid >= TABLE_SIZE) return 0;
  const offset = targetOffsets[msgid] as number;
  // v2 trims trailing zero bytes from the payload: a field past the end is 0.
  if (offset < 0 || offset >= (buf[at + 1] as number)) return 0;
  return buf[at + (v2 ? V2_HEADER_BYTES : V1_HEADER_BYTES) + offset] as number;
}

/**
 * Writes a valid frame's CRC in place (for code that builds frames: tests, mission
 * upload). The frame's bytes before the CRC must be final.
 */
export function sealFrame(frame: Buffer): Buffer {
  const v2 = frame[0] === MAVLINK_V2_START;
  const len = frame[1] as number;
  const msgid = v2 ? frame.readUIntLE(7, 3) : (frame[5] as number);
  const info = messageInfo(msgid);
  if (info === undefined) throw new RangeError(`message id ${msgid} is not in the registries, its CRC_EXTRA is unknown`);
  frame.writeUInt16LE(frameCrc(frame, 0, len, info.crcExtra), (v2 ? V2_HEADER_BYTES : V1_HEADER_BYTES) + len);
  return frame;
}
