// Finds MAVLink frames in what one peer sends: a byte stream (serial, TCP) where frames
// may be split across reads, or datagrams (UDP) that each hold whole frames. Frames are
// judged by their header and CRC only (shared/mavlink/frame-check.ts); damage is counted
// and skipped by resynchronising at the next start byte, never thrown.

import { scanFrame } from '@sargs/shared/mavlink/frame-check';
import { MAVLINK_V1_START, MAVLINK_V2_START } from '@sargs/shared/mavlink/tlog';
import type { LinkCounters } from './link-stats';

/** Gets each good frame: a view into the received bytes (no copy), start byte to CRC/signature. */
export type FrameHandler = (raw: Buffer) => void;

function nextStart(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) {
    const b = buf[i];
    if (b === MAVLINK_V1_START || b === MAVLINK_V2_START) return i;
  }
  return buf.length;
}

/**
 * One per peer. `pushStream` keeps a partial frame until the rest arrives; `pushDatagram`
 * takes each datagram on its own, so a lost datagram cannot merge with the next one.
 *
 * After damage the reader is "out of step": a start byte found in noise is only believed
 * when the frame it starts checks out (known id, good CRC) or, for an id the registries do
 * not know, when the next frame (or the datagram's end) follows right after it. Without
 * that, a stray 0xFE in radio noise followed by an unknown id would be relayed as a frame
 * and swallow the good frames after it.
 */
export class FrameReader {
  private pending: Buffer | undefined;
  private inStep = true;

  constructor(
    private readonly counters: LinkCounters,
    private readonly onFrame: FrameHandler,
  ) {}

  pushStream(chunk: Buffer): void {
    this.counters.rxBytes += chunk.length;
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    const used = this.parse(buf, false);
    // Copy the tail: keeping a view would pin the whole (possibly large) read buffer.
    this.pending = used < buf.length ? Buffer.from(buf.subarray(used)) : undefined;
  }

  pushDatagram(datagram: Buffer): void {
    this.counters.rxBytes += datagram.length;
    this.inStep = true;
    this.parse(datagram, true);
  }

  /** The connection dropped: a partial frame will not be completed by the next one. */
  reset(): void {
    if (this.pending !== undefined) this.counters.droppedBytes += this.pending.length;
    this.pending = undefined;
    this.inStep = true;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  /** Returns how many bytes were dealt with; the rest (stream only) waits for more data. */
  private parse(buf: Buffer, final: boolean): number {
    const c = this.counters;
    let at = 0;
    while (at < buf.length) {
      const scan = scanFrame(buf, at);
      if (scan.kind === 'frame') {
        const end = at + scan.length;
        if (scan.verdict === 'ok') {
          this.accept(buf, at, end);
          at = end;
          continue;
        }
        if (scan.verdict === 'unknown-id') {
          if (!this.inStep && end === buf.length && !final) return at; // judge it once the next byte is here
          if (this.inStep || end === buf.length || buf[end] === MAVLINK_V1_START || buf[end] === MAVLINK_V2_START) {
            this.counters.unknownIds++;
            this.accept(buf, at, end);
            at = end;
            continue;
          }
          // Out of step and not followed by a frame: more likely noise than a frame.
        } else if (scan.verdict === 'bad-crc') {
          c.crcErrors++;
        } else {
          c.lengthErrors++;
        }
      } else if (scan.kind === 'incomplete') {
        if (!final) return at;
        c.truncated++;
      }
      // Not a frame here: skip to the next start byte; what lies between is lost.
      const next = nextStart(buf, at + 1);
      c.droppedBytes += next - at;
      at = next;
      this.inStep = false;
    }
    return at;
  }

  private accept(buf: Buffer, at: number, end: number): void {
    this.inStep = true;
    this.counters.rxFrames++;
    // One frame per datagram is the usual case: hand on the datagram itself, no new view.
    this.onFrame(at === 0 && end === buf.length ? buf : buf.subarray(at, end));
  }
}
