import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameHeader, parseTlog, readTlog, type TlogRecord, type TlogWarning } from './tlog.ts';
import { fixturesDir } from '../../../test/support/paths';

const fixtures = path.join(fixturesDir, 'mavlink');
const load = (name: string): Buffer => readFileSync(path.join(fixtures, name));

const vtol = load('arduplane-vtol-sitl.tlog');
const copter = load('arducopter-auto-mission-2013-10-13-165851.tlog');

function collect(buf: Buffer, final = true): { records: TlogRecord[]; warnings: TlogWarning[]; consumed: number } {
  const records: TlogRecord[] = [];
  const warnings: TlogWarning[] = [];
  const it = readTlog(buf, { final, onWarning: (w) => warnings.push(w) });
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) return { records, warnings, consumed: r.value.consumed };
    records.push(r.value);
  }
}

const frames = (records: TlogRecord[]): Buffer[] => records.map((r) => r.frame);

/** Index of the first differing frame, or -1; deep-equality on 24k Buffers is needlessly slow. */
function firstDifference(a: Buffer[], b: Buffer[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || !x.equals(y)) return i;
  }
  return -1;
}

describe('readTlog on real logs', () => {
  it('reads every record of the ArduPlane VTOL SITL log', () => {
    const { records, warnings, skippedBytes } = parseTlog(vtol);
    expect(warnings).toEqual([]);
    expect(skippedBytes).toBe(0);
    expect(records).toHaveLength(23_894);
    const first = records[0]!;
    const last = records.at(-1)!;
    expect(first.timeUs).toBe(1_533_737_161_905_000n); // 2018-08-08 14:06:01.905 UTC
    expect(Number(last.timeUs - first.timeUs) / 1e6).toBeCloseTo(207.6, 1);
    // Records tile the file exactly: nothing was skipped or double-counted.
    expect(records.reduce((n, r) => n + 8 + r.frame.length, 0)).toBe(vtol.length);
  });

  it('decodes frame headers: one autopilot at 1/1 heartbeating about once a second', () => {
    const headers = parseTlog(vtol).records.map((r) => frameHeader(r.frame));
    expect(new Set(headers.map((h) => `${h.version} ${h.sysid}/${h.compid}`))).toEqual(new Set(['1 1/1']));
    expect(headers.filter((h) => h.msgid === 0 && h.sysid === 1)).toHaveLength(199);
  });

  it('reads the ArduCopter flight log with its GCS and radio traffic', () => {
    const { records, warnings } = parseTlog(copter);
    expect(warnings).toEqual([]);
    expect(records).toHaveLength(16_187);
    const bySystem = new Map<number, number>();
    for (const r of records) {
      const h = frameHeader(r.frame);
      bySystem.set(h.sysid, (bySystem.get(h.sysid) ?? 0) + 1);
    }
    expect([...bySystem.keys()].sort((a, b) => a - b)).toEqual([1, 51, 255]);
    expect(Number(records.at(-1)!.timeUs - records[0]!.timeUs) / 1e6).toBeCloseTo(570.8, 1);
  });

  it('finds no records in a raw MAVLink stream that has no timestamps', () => {
    const { records, skippedBytes } = parseTlog(load('mavlink-v2-3412-packets.bin'));
    expect(records).toHaveLength(0);
    expect(skippedBytes).toBeGreaterThan(0);
  });
});

describe('readTlog on damaged logs', () => {
  const clean = frames(parseTlog(vtol).records);

  it('skips junk between records, reports it, and loses no record', () => {
    const recs = parseTlog(vtol).records;
    const cut1 = recs[100]!.offset;
    const cut2 = recs[5000]!.offset;
    // Junk that itself contains record-ish bytes: a plausible timestamp and a start byte.
    const tricky = Buffer.concat([Buffer.from([0xfe, 0xfd, 0x00]), vtol.subarray(0, 12), Buffer.alloc(40, 0xfe)]);
    const damaged = Buffer.concat([
      Buffer.from('garbage at the start'),
      vtol.subarray(0, cut1), tricky,
      vtol.subarray(cut1, cut2), Buffer.alloc(333, 0x55),
      vtol.subarray(cut2),
    ]);
    const { records, warnings } = collect(damaged);
    expect(firstDifference(frames(records), clean)).toBe(-1);
    expect(warnings).toEqual([
      { kind: 'junk', offset: 0, bytes: 20 },
      { kind: 'junk', offset: 20 + cut1, bytes: tricky.length },
      { kind: 'junk', offset: 20 + tricky.length + cut2, bytes: 333 },
    ]);
  });

  it('drops a frame whose length byte was damaged instead of letting it swallow the next record', () => {
    const recs = parseTlog(vtol).records;
    const victim = recs[200]!;
    const damaged = Buffer.from(vtol);
    damaged[victim.offset + 9] = victim.frame.length; // a longer length than the real payload
    const { records, warnings } = collect(damaged);
    expect(records).toHaveLength(clean.length - 1);
    expect(firstDifference(frames(records), [...clean.slice(0, 200), ...clean.slice(201)])).toBe(-1);
    expect(warnings).toEqual([{ kind: 'junk', offset: victim.offset, bytes: 8 + victim.frame.length }]);
  });

  it('reports a truncated tail and keeps every complete record before it', () => {
    const recs = parseTlog(vtol).records;
    const lastWhole = recs.at(-2)!;
    for (const tailBytes of [1, 7, 8, 9, 11, 20]) {
      const truncated = vtol.subarray(0, lastWhole.offset + 8 + lastWhole.frame.length + tailBytes);
      const { records, warnings } = collect(truncated);
      expect(records).toHaveLength(clean.length - 1);
      expect(warnings).toEqual([{ kind: 'truncated', offset: recs.at(-1)!.offset, bytes: tailBytes }]);
    }
  });

  it('reads a log fed in chunks exactly as the whole buffer (final: false keeps the tail)', () => {
    const damaged = Buffer.concat([vtol.subarray(0, 50_000), Buffer.alloc(17, 0xfe), vtol.subarray(50_000, 300_000)]);
    const whole = collect(damaged);
    const got: Buffer[] = [];
    let pending = Buffer.alloc(0);
    let skipped = 0;
    for (let at = 0; at < damaged.length; at += 4093) {
      pending = Buffer.concat([pending, damaged.subarray(at, at + 4093)]);
      const last = at + 4093 >= damaged.length;
      const { records, warnings, consumed } = collect(pending, last);
      got.push(...records.map((r) => Buffer.from(r.frame)));
      skipped += warnings.reduce((n, w) => n + w.bytes, 0);
      pending = pending.subarray(consumed);
    }
    expect(firstDifference(got, frames(whole.records))).toBe(-1);
    expect(got.length).toBeGreaterThan(7_000);
    expect(skipped).toBe(whole.warnings.reduce((n, w) => n + w.bytes, 0));
  });
});

describe('frameHeader', () => {
  it('reads a MAVLink v2 header with a 24-bit message id and the signed flag', () => {
    const v2 = Buffer.from([0xfd, 9, 0x01, 0, 42, 7, 190, 0x34, 0x12, 0x01, ...new Array<number>(9 + 2 + 13).fill(0)]);
    expect(frameHeader(v2)).toEqual({ version: 2, len: 9, seq: 42, sysid: 7, compid: 190, msgid: 0x011234, signed: true });
  });

  it('refuses bytes that are not a frame', () => {
    expect(() => frameHeader(Buffer.from([0x00, 1, 2, 3, 4, 5]))).toThrow(RangeError);
    expect(() => frameHeader(Buffer.alloc(0))).toThrow(RangeError);
  });
});
