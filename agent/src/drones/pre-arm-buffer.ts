import { frameLength } from '@sargs/shared/mavlink/tlog';
import { tlogRecordMs, writeTlogRecord } from './tlog-file';

const BLOCK_BYTES = 16 * 1024;
/** Bytes kept per vehicle at most, whatever the window: a flood of frames must not grow the agent without bound. */
const MAX_BYTES = 8 * 1024 * 1024;

interface Block { buf: Buffer; used: number; lastAtMs: number }

/**
 * The last few seconds of a vehicle's frames before it arms, as tlog records, so its flight
 * file can start with the pre-arm checks, GPS lock and home position that led up to it.
 * Records are copied into blocks and old blocks dropped whole: nothing allocated per frame.
 */
export class PreArmBuffer {
  private blocks: Block[] = [];
  private bytes = 0;

  get lastAtMs(): number | undefined {
    return this.blocks.at(-1)?.lastAtMs;
  }

  push(atMs: number, frame: Buffer, windowMs: number): void {
    if (windowMs <= 0) return;
    const n = 8 + frame.length;
    let b = this.blocks.at(-1);
    if (!b || b.used + n > b.buf.length) {
      b = { buf: Buffer.allocUnsafe(Math.max(BLOCK_BYTES, n)), used: 0, lastAtMs: atMs };
      this.blocks.push(b);
      this.bytes += b.buf.length;
      this.trim(atMs - windowMs);
    }
    b.used += writeTlogRecord(b.buf, b.used, atMs, frame);
    b.lastAtMs = atMs;
  }

  /** The records of the last windowMs before `atMs`, oldest first; the buffer is emptied. */
  take(atMs: number, windowMs: number): Buffer[] {
    const from = atMs - windowMs;
    this.trim(from);
    const out: Buffer[] = [];
    for (const b of this.blocks) {
      if (b.lastAtMs < from) continue;
      let start = 0;
      while (start < b.used && tlogRecordMs(b.buf, start) < from) {
        const len = frameLength(b.buf, start + 8);
        if (len === undefined) break;
        start += 8 + len;
      }
      if (start < b.used) out.push(b.buf.subarray(start, b.used));
    }
    this.blocks = [];
    this.bytes = 0;
    return out;
  }

  private trim(from: number): void {
    while (this.blocks.length > 1 && (this.blocks[0]!.lastAtMs < from || this.bytes > MAX_BYTES)) {
      this.bytes -= this.blocks[0]!.buf.length;
      this.blocks.shift();
    }
  }
}
