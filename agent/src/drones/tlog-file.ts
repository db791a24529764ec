import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Buffered bytes that make a write; the loop also flushes every flushIntervalMs. */
const FLUSH_BYTES = 256 * 1024;
/** Records are copied into blocks of this size: no allocation per frame on the relay's path. */
const BLOCK_BYTES = 64 * 1024;
export const PART_SUFFIX = '.part';

/**
 * Writes one tlog record at buf[at]: 8-byte big-endian microseconds since the epoch, then the
 * frame (copied: the relay reuses its receive buffers). Returns the record's length.
 */
export function writeTlogRecord(buf: Buffer, at: number, atMs: number, frame: Buffer): number {
  const us = Math.round(atMs * 1000);
  buf.writeUInt32BE(Math.floor(us / 0x1_0000_0000), at);
  buf.writeUInt32BE(us % 0x1_0000_0000, at + 4);
  frame.copy(buf, at + 8);
  return 8 + frame.length;
}

/** The time of the tlog record at buf[at], in milliseconds since the epoch. */
export function tlogRecordMs(buf: Buffer, at: number): number {
  return (buf.readUInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4)) / 1000;
}

export type TlogKind = 'flight' | 'ground';

export interface TlogName {
  kind: TlogKind;
  vehicleKey: string;
  /** Milliseconds since the epoch, to the second (from the name). */
  startedMs: number;
  flightId?: string;
}

const NAME = /^(flight|ground)-(sys\d{1,3}(?:-\d+)?)-(\d{8}T\d{6}Z)(?:-([0-9a-f-]{36}))?\.tlog$/;

/** `flight-sys1-20180808T140601Z-<uuid>.tlog`, `ground-sys255-20180808T140601Z.tlog`: sortable, and enough to recover a flight after a crash. */
export function tlogName(n: TlogName): string {
  const stamp = new Date(n.startedMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${n.kind}-${n.vehicleKey}-${stamp}${n.flightId ? `-${n.flightId}` : ''}.tlog`;
}

export function parseTlogName(file: string): TlogName | undefined {
  const m = NAME.exec(file);
  if (!m) return undefined;
  const [, kind, vehicleKey, stamp, flightId] = m as unknown as [string, TlogKind, string, string, string | undefined];
  const startedMs = Date.parse(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`);
  if (Number.isNaN(startedMs) || (kind === 'flight') !== (flightId !== undefined)) return undefined;
  return { kind, vehicleKey, startedMs, ...(flightId ? { flightId } : {}) };
}

/**
 * A tlog being written: records are buffered and appended in large writes (no sync per frame),
 * under `<name>.part` until close(), which syncs and renames, so a finished name always holds
 * a complete file and a `.part` left by a crash is recognisable.
 */
export class TlogFile {
  readonly path: string;
  readonly partPath: string;
  /** Bytes appended so far, written or still buffered. */
  bytes = 0;
  lastRecordMs = 0;
  /** Filled blocks waiting for the next write, and the block being filled. */
  private pending: Buffer[] = [];
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;
  private pendingBytes = 0;
  private readonly handle: Promise<FileHandle | undefined>;
  private writing: Promise<void>;
  private closed = false;
  private failed = false;

  constructor(dir: string, readonly name: TlogName, private readonly onError: (err: unknown) => void) {
    this.path = join(dir, tlogName(name));
    this.partPath = this.path + PART_SUFFIX;
    this.handle = open(this.partPath, 'a').catch((err: unknown) => {
      onError(err);
      return undefined;
    });
    this.writing = this.handle.then(() => undefined);
  }

  appendFrame(atMs: number, frame: Buffer): void {
    if (this.closed) return;
    const n = 8 + frame.length;
    if (this.used + n > this.block.length) this.nextBlock();
    this.used += writeTlogRecord(this.block, this.used, atMs, frame);
    this.added(n, atMs);
  }

  /** Whole records already in tlog form (the pre-arm frames); the buffers are kept, not copied. */
  appendRecords(records: readonly Buffer[], lastAtMs: number): void {
    if (this.closed) return;
    this.nextBlock();
    for (const r of records) {
      this.pending.push(r);
      this.added(r.length, lastAtMs);
    }
  }

  private added(n: number, atMs: number): void {
    this.pendingBytes += n;
    this.bytes += n;
    this.lastRecordMs = atMs;
    if (this.pendingBytes >= FLUSH_BYTES) void this.flush();
  }

  private nextBlock(): void {
    if (this.used === 0) return;
    this.pending.push(this.block.subarray(0, this.used));
    this.block = Buffer.allocUnsafe(BLOCK_BYTES);
    this.used = 0;
  }

  /** Hands the buffered records to the OS; resolves when they are written. Errors go to onError. */
  flush(): Promise<void> {
    if (this.pendingBytes === 0) return this.writing;
    this.nextBlock();
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = this.writing.then(async () => {
      const fh = await this.handle;
      if (!fh) return;
      for (let off = 0; off < data.length;) off += (await fh.write(data, off)).bytesWritten;
    }).catch((err: unknown) => {
      // Once per file: a full disk would otherwise log every second until rotation frees space.
      if (!this.failed) this.onError(err);
      this.failed = true;
    });
    return this.writing;
  }

  /** Writes what is buffered, syncs, closes and gives the file its final name. Returns that path. */
  async close(): Promise<string> {
    this.closed = true;
    await this.flush();
    const fh = await this.handle;
    if (fh) {
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await rename(this.partPath, this.path);
    return this.path;
  }
}
