import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MavLinkProtocolV1, MavLinkProtocolV2, common, minimal } from 'node-mavlink';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import { describe, expect, it } from 'vitest';
import { FrameReader } from './frame-reader';
import { emptyCounters, type LinkCounters } from './link-stats';
import { fixturesDir } from '../../../test/support/paths';

const fixtures = path.join(fixturesDir, 'mavlink');
const v1Frames = parseTlog(readFileSync(path.join(fixtures, 'arduplane-vtol-sitl.tlog'))).records.map((r) => r.frame);
const v2Stream = readFileSync(path.join(fixtures, 'mavlink-v2-3412-packets.bin'));

function reader(): { r: FrameReader; got: Buffer[]; c: LinkCounters } {
  const got: Buffer[] = [];
  const c = emptyCounters();
  return { r: new FrameReader(c, (raw) => got.push(Buffer.from(raw))), got, c };
}

function heartbeat(): minimal.Heartbeat {
  const hb = new minimal.Heartbeat();
  hb.type = minimal.MavType.QUADROTOR;
  hb.autopilot = minimal.MavAutopilot.ARDUPILOTMEGA;
  hb.baseMode = 128 as minimal.MavModeFlag;
  hb.customMode = 5;
  return hb;
}

/** node-mavlink builds these: an implementation independent of ours, with its own CRC_EXTRA table. */
const hbV1 = new MavLinkProtocolV1(1, 1).serialize(heartbeat(), 7);
const hbV2 = new MavLinkProtocolV2(1, 1).serialize(heartbeat(), 8);
const statusV2 = new MavLinkProtocolV2(1, 1).serialize(Object.assign(new common.SysStatus(), { voltageBattery: 12_600, batteryRemaining: 77 }), 9);

/** A v2 frame with a message id no registry knows and any CRC: it cannot be checked. */
function unknownIdFrame(msgid = 0x123456, payload = Buffer.from([1, 2, 3, 0xfe, 0xfd, 9])): Buffer {
  const head = Buffer.from([0xfd, payload.length, 0, 0, 42, 1, 1, msgid & 0xff, (msgid >> 8) & 0xff, msgid >> 16]);
  return Buffer.concat([head, payload, Buffer.from([0xab, 0xcd])]);
}

/** Splits a buffer at pseudo-random points (deterministic), as a serial port or TCP would. */
function chunks(buf: Buffer, seed: number, max: number): Buffer[] {
  const out: Buffer[] = [];
  let s = seed;
  for (let at = 0; at < buf.length;) {
    s = (s * 1103515245 + 12345) >>> 0;
    const n = 1 + (s % max);
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('FrameReader on a byte stream', () => {
  it('finds every v1 frame of a real flight, byte-identical, whatever the read sizes', () => {
    const { r, got, c } = reader();
    const stream = Buffer.concat(v1Frames);
    for (const chunk of chunks(stream, 1, 97)) r.pushStream(chunk);
    expect(got.length).toBe(v1Frames.length);
    expect(got.every((f, i) => f.equals(v1Frames[i] as Buffer))).toBe(true);
    expect(c).toMatchObject({ rxFrames: v1Frames.length, rxBytes: stream.length, crcErrors: 0, droppedBytes: 0, unknownIds: 0 });
    expect(r.buffered).toBe(0);
  });

  it('reassembles v2 frames fed one byte at a time and passes the unknown ids on (ids 8 and 411 in this capture)', () => {
    const { r, got, c } = reader();
    for (let i = 0; i < v2Stream.length; i++) r.pushStream(v2Stream.subarray(i, i + 1));
    expect(got).toHaveLength(3412);
    expect(Buffer.concat(got).equals(v2Stream)).toBe(true);
    expect(c).toMatchObject({ rxFrames: 3412, crcErrors: 0, droppedBytes: 0, unknownIds: 14 });
  });

  it('holds a partial frame until its last byte arrives, and drops it when the connection resets', () => {
    const { r, got, c } = reader();
    r.pushStream(hbV2.subarray(0, hbV2.length - 1));
    expect(got).toHaveLength(0);
    expect(r.buffered).toBe(hbV2.length - 1);
    r.reset();
    expect(c.droppedBytes).toBe(hbV2.length - 1);
    r.pushStream(hbV2);
    expect(got).toEqual([hbV2]);
  });

  it('skips radio noise between frames, counting its bytes, and finds the frames around it', () => {
    const { r, got, c } = reader();
    const noise = Buffer.from([0x00, 0x11, 0x22, 0x33, 0x44]);
    r.pushStream(Buffer.concat([hbV1, noise, statusV2, noise, hbV2]));
    expect(got).toEqual([hbV1, statusV2, hbV2]);
    expect(c.droppedBytes).toBe(2 * noise.length);
  });

  it('does not take a stray start byte in noise followed by an unknown id for a frame that swallows the next ones', () => {
    const { r, got, c } = reader();
    // 0xFE, len 3, seq, sys, comp, msgid 8 (not in any registry): would "frame" 11 bytes of hbV2.
    const noise = Buffer.from([0x10, 0xfe, 0x03, 0x00, 0x01, 0x01, 0x08]);
    r.pushStream(Buffer.concat([hbV1, noise, hbV2, statusV2]));
    expect(got).toEqual([hbV1, hbV2, statusV2]);
    expect(c.droppedBytes).toBe(noise.length);
  });
});

describe('FrameReader checks the CRC with CRC_EXTRA', () => {
  it('accepts v1 and v2 frames built by node-mavlink, including a v2 payload with trailing zeros cut', () => {
    const { r, got } = reader();
    expect(hbV2[1]).toBeLessThan(9); // the truncated HEARTBEAT payload
    for (const f of [hbV1, hbV2, statusV2]) r.pushDatagram(f);
    expect(got).toEqual([hbV1, hbV2, statusV2]);
  });

  it('drops a known message whose CRC lacks CRC_EXTRA or has a flipped bit, and counts it', () => {
    const { r, got, c } = reader();
    // The CRC the frame would have without CRC_EXTRA (pre-1.0 MAVLink): must not pass.
    const noExtra = Buffer.from(hbV1);
    let crc = 0xffff;
    for (const b of noExtra.subarray(1, noExtra.length - 2)) {
      let t = b ^ (crc & 0xff);
      t = (t ^ (t << 4)) & 0xff;
      crc = ((crc >> 8) ^ (t << 8) ^ (t << 3) ^ (t >> 4)) & 0xffff;
    }
    noExtra.writeUInt16LE(crc, noExtra.length - 2);
    const flipped = Buffer.from(statusV2);
    flipped[12] = (flipped[12] as number) ^ 0x04;
    r.pushDatagram(noExtra);
    r.pushDatagram(flipped);
    r.pushDatagram(hbV2);
    expect(got).toEqual([hbV2]);
    expect(c).toMatchObject({ crcErrors: 2, rxFrames: 1, droppedBytes: noExtra.length + flipped.length });
  });

  it('passes a frame with an unknown message id through byte for byte, whatever its CRC', () => {
    const { r, got, c } = reader();
    const f = unknownIdFrame();
    r.pushDatagram(f);
    r.pushStream(Buffer.concat([f, hbV1]));
    expect(got).toEqual([f, f, hbV1]);
    expect(c).toMatchObject({ unknownIds: 2, crcErrors: 0 });
  });

  it('passes signed v2 frames with their signature, and still drops one whose CRC is wrong', () => {
    const { r, got, c } = reader();
    const proto = new MavLinkProtocolV2(1, 1, MavLinkProtocolV2.IFLAG_SIGNED);
    const signed = proto.sign(proto.serialize(heartbeat(), 3), 1, Buffer.alloc(32, 7), 1_700_000_000_000);
    expect(signed[2]).toBe(1);
    expect(signed.length).toBe(10 + (signed[1] as number) + 2 + 13);
    const signedUnknown = Buffer.concat([unknownIdFrame(0x0abcde), Buffer.alloc(13, 0x5a)]);
    signedUnknown[2] = 1;
    const badCrc = Buffer.from(signed);
    badCrc[10] = (badCrc[10] as number) ^ 0xff;
    for (const f of [signed, signedUnknown, badCrc]) r.pushDatagram(f);
    r.pushStream(Buffer.concat([signed, signedUnknown, hbV1]));
    expect(got).toEqual([signed, signedUnknown, signed, signedUnknown, hbV1]);
    expect(c.crcErrors).toBe(1);
  });
});

describe('FrameReader on datagrams', () => {
  it('counts a frame cut short by the end of its datagram as truncated, and a length byte too large as a length error', () => {
    const { r, got, c } = reader();
    r.pushDatagram(statusV2.subarray(0, 20));
    const tooLong = Buffer.from(hbV1);
    tooLong[1] = 40; // HEARTBEAT is 9 bytes at most
    r.pushDatagram(Buffer.concat([tooLong, hbV2]));
    expect(got).toEqual([hbV2]);
    expect(c).toMatchObject({ truncated: 1, lengthErrors: 1, crcErrors: 0, droppedBytes: 20 + tooLong.length });
  });

  it('takes each datagram on its own: a truncated frame does not join the next datagram', () => {
    const { r, got, c } = reader();
    r.pushDatagram(hbV2.subarray(0, 10));
    r.pushDatagram(hbV2.subarray(10));
    r.pushDatagram(Buffer.concat([hbV1, statusV2]));
    expect(got).toEqual([hbV1, statusV2]);
    expect(c.truncated).toBe(1);
    expect(c.droppedBytes).toBe(hbV2.length);
  });
});
