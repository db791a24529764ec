// Building and taking apart MAVLink frames in tests: frames of any id (known ones sealed
// with their real CRC, unknown ones with whatever CRC), signed frames, tlogs for the
// simulated drone, and a deterministic random source.

import { scanFrame, sealFrame, targetSystem } from '@sargs/shared/mavlink/frame-check';
import { frameHeader } from '@sargs/shared/mavlink/tlog';

export interface FrameSpec {
  version: 1 | 2;
  msgid: number;
  sysid: number;
  compid: number;
  seq: number;
  payload: Uint8Array;
  /** v2 only: append a 13-byte signature (its content is never verified by the relay). */
  signature?: Uint8Array;
  /** For unknown ids (no CRC_EXTRA): the two CRC bytes to write. Known ids are always sealed. */
  crc?: number;
}

export function buildFrame(spec: FrameSpec): Buffer {
  const { version, msgid, sysid, compid, seq, payload } = spec;
  const len = payload.length;
  let frame: Buffer;
  if (version === 1) {
    frame = Buffer.alloc(6 + len + 2);
    frame.set([0xfe, len, seq, sysid, compid, msgid]);
    frame.set(payload, 6);
  } else {
    const signed = spec.signature !== undefined;
    frame = Buffer.alloc(10 + len + 2 + (signed ? 13 : 0));
    frame.set([0xfd, len, signed ? 1 : 0, 0, seq, sysid, compid, msgid & 0xff, (msgid >> 8) & 0xff, (msgid >> 16) & 0xff]);
    frame.set(payload, 10);
    if (spec.signature) frame.set(spec.signature, 10 + len + 2);
  }
  if (spec.crc !== undefined) {
    frame.writeUInt16LE(spec.crc, (version === 1 ? 6 : 10) + len);
    return frame;
  }
  return sealFrame(frame);
}

/** Cuts a byte stream (what a TCP or serial peer received) back into frames; throws on anything else. */
export function splitFrames(stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < stream.length;) {
    const scan = scanFrame(stream, at);
    if (scan.kind !== 'frame') throw new Error(`no whole frame at byte ${at} of ${stream.length}`);
    frames.push(stream.subarray(at, at + scan.length));
    at += scan.length;
  }
  return frames;
}

/**
 * The frames of a recording that a relay passes to the other side when the whole recording
 * comes in through one side: all but those addressed to a system already heard on that
 * side (tlogs hold the ground station's own requests to the vehicle). Like mavlink-router,
 * the relay sends an addressed frame only where its target was heard: here, its source.
 */
export function towardsOtherSide(frames: readonly Buffer[]): Buffer[] {
  const heard = new Set<number>();
  return frames.filter((f) => {
    heard.add(frameHeader(f).sysid);
    const target = targetSystem(f, 0);
    return target === 0 || !heard.has(target);
  });
}

/** Wraps raw frames into a tlog (one record each, `stepUs` apart) for the simulated drone. */
export function tlogOf(frames: readonly Buffer[], startUs = 1_700_000_000_000_000n, stepUs = 1000n): Buffer {
  const parts: Buffer[] = [];
  frames.forEach((frame, i) => {
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(startUs + BigInt(i) * stepUs);
    parts.push(ts, frame);
  });
  return Buffer.concat(parts);
}

/** mulberry32: a small seeded generator, so a failing run can be replayed exactly. */
export function seededRandom(seed: number): { next(): number; int(maxExclusive: number): number; bytes(n: number, avoid?: readonly number[]): Buffer } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  return {
    next, int,
    bytes(n, avoid = []) {
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; i++) {
        let b = int(256);
        // Bounded: at most a handful of values are avoided, so this ends almost at once.
        for (let k = 0; k < 64 && avoid.includes(b); k++) b = int(256);
        out[i] = avoid.includes(b) ? 0x55 : b;
      }
      return out;
    },
  };
}
