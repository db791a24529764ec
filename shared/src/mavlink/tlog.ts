// Reader for MAVLink telemetry logs (.tlog): each record is a big-endian uint64 of
// microseconds since the Unix epoch followed by one raw MAVLink v1/v2 frame. There is
// no header, no index and no record length, so the only way through damage is to
// recognise the next record by its shape.

export const MAVLINK_V1_START = 0xfe;
export const MAVLINK_V2_START = 0xfd;
const V2_INCOMPAT_SIGNED = 0x01;
const TIMESTAMP_BYTES = 8;
/** Bytes needed after a record's start to know how long its frame is. */
const MIN_PROBE_BYTES = TIMESTAMP_BYTES + 3;

export interface TlogRecord {
  /** Microseconds since the Unix epoch, as recorded by the ground station. */
  timeUs: bigint;
  /** One complete MAVLink frame, a view into the input buffer (no copy). */
  frame: Buffer;
  /** Byte offset of the record (its timestamp) in the input. */
  offset: number;
}

export interface TlogWarning {
  kind: 'junk' | 'truncated';
  /** Byte offset where the skipped bytes start. */
  offset: number;
  /** How many bytes were skipped. */
  bytes: number;
}

export interface TlogReadOptions {
  /**
   * Timestamps outside [minTimeUs, maxTimeUs] are not taken for record starts. The
   * defaults (1990..2100) reject most junk while accepting any real log.
   */
  minTimeUs?: bigint;
  maxTimeUs?: bigint;
  /**
   * false when more data may follow (a growing file, a socket): an incomplete record at
   * the end is then left unread instead of reported as truncated; see TlogReadResult.consumed.
   */
  final?: boolean;
  onWarning?: (warning: TlogWarning) => void;
}

export interface TlogReadResult {
  records: number;
  skippedBytes: number;
  /** Bytes fully dealt with; with final: false, keep buffer.subarray(consumed) for the next call. */
  consumed: number;
}

export const DEFAULT_MIN_TIME_US = 631_152_000_000_000n; // 1990-01-01
export const DEFAULT_MAX_TIME_US = 4_102_444_800_000_000n; // 2100-01-01

/** Total length of the frame starting at buf[at], or undefined if the bytes cannot start a frame. */
export function frameLength(buf: Buffer, at: number): number | undefined {
  if (at + 3 > buf.length) return undefined;
  const start = buf.readUInt8(at);
  const len = buf.readUInt8(at + 1);
  if (start === MAVLINK_V1_START) return len + 8;
  if (start === MAVLINK_V2_START) {
    const incompat = buf.readUInt8(at + 2);
    // The spec says to drop frames with incompat flags we do not understand; for us that
    // also makes a stray 0xFD much less likely to pass as a frame.
    if ((incompat & ~V2_INCOMPAT_SIGNED) !== 0) return undefined;
    return len + 12 + (incompat & V2_INCOMPAT_SIGNED ? 13 : 0);
  }
  return undefined;
}

type Head =
  | { kind: 'record'; end: number }
  | { kind: 'invalid' }
  | { kind: 'incomplete' };

interface Bounds { min: bigint; max: bigint }

/** Whether a record could start at buf[at], judging by its timestamp and frame header. */
function probeHead(buf: Buffer, at: number, bounds: Bounds): Head {
  const have = buf.length - at;
  if (have > TIMESTAMP_BYTES) {
    // Cheapest test first: resynchronising calls this at every byte of a junk run.
    const s = buf.readUInt8(at + TIMESTAMP_BYTES);
    if (s !== MAVLINK_V1_START && s !== MAVLINK_V2_START) return { kind: 'invalid' };
  }
  if (have < TIMESTAMP_BYTES) return { kind: 'incomplete' };
  const t = buf.readBigUInt64BE(at);
  if (t < bounds.min || t > bounds.max) return { kind: 'invalid' };
  if (have < MIN_PROBE_BYTES) return { kind: 'incomplete' };
  const len = frameLength(buf, at + TIMESTAMP_BYTES);
  if (len === undefined) return { kind: 'invalid' };
  const end = at + TIMESTAMP_BYTES + len;
  return end <= buf.length ? { kind: 'record', end } : { kind: 'incomplete' };
}

type Anchor =
  | { kind: 'anchor'; at: number }
  /** A plausible record start whose data runs out: the tail, or (not final) data still to come. */
  | { kind: 'tail'; at: number }
  | { kind: 'none' };

/**
 * Finds where records resume after damage: the first offset holding a plausible record
 * that is itself followed by a plausible record start (or the end of the data). One
 * plausible record alone is too easy for junk to fake; two in a row are not.
 */
function findAnchor(buf: Buffer, from: number, bounds: Bounds, final: boolean): Anchor {
  let tail: number | undefined;
  for (let p = from; p < buf.length; p++) {
    const head = probeHead(buf, p, bounds);
    if (head.kind === 'incomplete') {
      // Not final: we cannot look past data that has not arrived. Final: a plausible start
      // that runs off the end may still be junk, so keep looking for a real anchor.
      if (!final) return { kind: 'tail', at: p };
      tail ??= p;
      continue;
    }
    if (head.kind === 'invalid') continue;
    if (head.end === buf.length || probeHead(buf, head.end, bounds).kind !== 'invalid') return { kind: 'anchor', at: p };
  }
  return tail === undefined ? { kind: 'none' } : { kind: 'tail', at: tail };
}

function resumeOffset(anchor: Anchor, buf: Buffer): number {
  return anchor.kind === 'none' ? buf.length : anchor.at;
}

/**
 * Yields the records of a tlog held in memory. Junk between records is skipped (scanning
 * forward for the next plausible record) and reported through onWarning, never thrown.
 * The generator's return value summarises the pass.
 */
export function* readTlog(buf: Buffer, options: TlogReadOptions = {}): Generator<TlogRecord, TlogReadResult, undefined> {
  const bounds = { min: options.minTimeUs ?? DEFAULT_MIN_TIME_US, max: options.maxTimeUs ?? DEFAULT_MAX_TIME_US };
  const final = options.final ?? true;
  let at = 0;
  let records = 0;
  let skippedBytes = 0;
  const skip = (kind: TlogWarning['kind'], from: number, to: number): void => {
    if (to <= from) return;
    skippedBytes += to - from;
    options.onWarning?.({ kind, offset: from, bytes: to - from });
  };

  while (at < buf.length) {
    const head = probeHead(buf, at, bounds);
    if (head.kind === 'incomplete') {
      if (!final) return { records, skippedBytes, consumed: at };
      skip('truncated', at, buf.length);
      break;
    }
    let resume: Anchor | undefined;
    if (head.kind === 'record') {
      // In step with the records, so trust this one unless what follows it is not a record
      // start: then either junk follows a good record, or damage to this frame's length
      // byte made it run into the next record. Where records resume tells which.
      if (head.end < buf.length && probeHead(buf, head.end, bounds).kind === 'invalid') {
        resume = findAnchor(buf, at + 1, bounds, final);
      }
      if (resume?.kind !== 'anchor' || resume.at >= head.end) {
        records++;
        yield { timeUs: buf.readBigUInt64BE(at), frame: buf.subarray(at + TIMESTAMP_BYTES, head.end), offset: at };
        const to = resume === undefined ? head.end : resumeOffset(resume, buf);
        skip('junk', head.end, to);
        at = to;
        continue;
      }
    } else {
      resume = findAnchor(buf, at + 1, bounds, final);
    }
    const to = resumeOffset(resume, buf);
    skip('junk', at, to);
    at = to;
  }
  return { records, skippedBytes, consumed: at };
}

/** Reads a whole tlog at once; for when the records are wanted as an array. */
export function parseTlog(buf: Buffer, options: Omit<TlogReadOptions, 'onWarning' | 'final'> = {}): {
  records: TlogRecord[];
  warnings: TlogWarning[];
  skippedBytes: number;
} {
  const warnings: TlogWarning[] = [];
  const records: TlogRecord[] = [];
  const it = readTlog(buf, { ...options, onWarning: (w) => warnings.push(w) });
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) return { records, warnings, skippedBytes: r.value.skippedBytes };
    records.push(r.value);
  }
}

export interface FrameHeader {
  version: 1 | 2;
  /** Payload length. */
  len: number;
  seq: number;
  sysid: number;
  compid: number;
  msgid: number;
  signed: boolean;
}

/** Decodes the header of one MAVLink frame; throws if the bytes are not a frame start. */
export function frameHeader(frame: Buffer): FrameHeader {
  const start = frame.length > 0 ? frame.readUInt8(0) : undefined;
  if (start === MAVLINK_V1_START && frame.length >= 6) {
    return {
      version: 1, len: frame.readUInt8(1), seq: frame.readUInt8(2), sysid: frame.readUInt8(3),
      compid: frame.readUInt8(4), msgid: frame.readUInt8(5), signed: false,
    };
  }
  if (start === MAVLINK_V2_START && frame.length >= 10) {
    return {
      version: 2, len: frame.readUInt8(1), seq: frame.readUInt8(4), sysid: frame.readUInt8(5),
      compid: frame.readUInt8(6), msgid: frame.readUIntLE(7, 3),
      signed: (frame.readUInt8(2) & V2_INCOMPAT_SIGNED) !== 0,
    };
  }
  throw new RangeError(`not a MAVLink frame header (start byte ${start?.toString(16) ?? 'none'}, ${frame.length} bytes)`);
}
