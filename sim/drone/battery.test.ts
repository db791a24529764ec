import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '@sargs/shared/mavlink/messages';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import { withSimulatedBattery } from './battery.ts';
import { DEFAULT_TLOG, MAVLINK_FIXTURES } from './fixtures.ts';

const sysStatus = (frames: Buffer[]) => frames.flatMap((f) => {
  const m = decodeMessage(f);
  return m?.name === 'SYS_STATUS' ? [m] : [];
});

describe('simulated battery', () => {
  it('gives a SITL log that reports no battery a pack draining from 100 % to 40 %, with valid frames', () => {
    const records = parseTlog(fs.readFileSync(DEFAULT_TLOG)).records;
    expect(sysStatus(records.map((r) => r.frame)).every((s) => s.batteryRemaining === undefined)).toBe(true);

    const filled = withSimulatedBattery(records);
    expect(filled).toHaveLength(records.length);
    // decodeMessage checks each frame's CRC: a frame the relay would drop decodes to nothing.
    const status = sysStatus(filled.map((r) => r.frame));
    expect(status).toHaveLength(sysStatus(records.map((r) => r.frame)).length);
    const percents = status.map((s) => s.batteryRemaining!);
    expect(percents[0]).toBe(100);
    expect(percents.at(-1)).toBeGreaterThanOrEqual(40);
    expect(percents.at(-1)).toBeLessThanOrEqual(41);
    expect(percents.every((p, i) => i === 0 || p <= percents[i - 1]!)).toBe(true);
    expect(status[0]!.voltage).toBeCloseTo(16.8, 2);
    expect(status.at(-1)!.voltage).toBeGreaterThan(14);
    // Only SYS_STATUS changes: every other frame and every timestamp is the log's own.
    for (const [i, r] of filled.entries()) {
      expect(r.timeUs).toBe(records[i]!.timeUs);
      if (decodeMessage(r.frame)?.name !== 'SYS_STATUS') expect(r.frame).toBe(records[i]!.frame);
    }
  });

  it('keeps what a log does measure: a copter\'s voltage stays, only the missing charge is filled in', () => {
    const tlog = fs.readFileSync(`${MAVLINK_FIXTURES}/arducopter-auto-mission-2013-10-13-165851.tlog`);
    const records = parseTlog(tlog).records;
    const before = sysStatus(records.map((r) => r.frame));
    const after = sysStatus(withSimulatedBattery(records).map((r) => r.frame));
    expect(before[0]!.voltage).toBeCloseTo(11.025, 3);
    expect(after.map((s) => s.voltage)).toEqual(before.map((s) => s.voltage));
    expect(after.every((s) => s.batteryRemaining !== undefined && s.batteryRemaining >= 40)).toBe(true);
  });
});
