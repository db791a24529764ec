import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTlog, type TlogRecord } from '@sargs/shared/mavlink/tlog';
import type { Clock } from './clock.ts';
import { DEFAULT_TLOG } from './fixtures.ts';
import { replay, type ReplayOptions } from './replay.ts';
import type { FrameSink } from './sink.ts';

const records = parseTlog(fs.readFileSync(DEFAULT_TLOG)).records.slice(0, 3_000);
const offsetMs = (r: TlogRecord): number => Number(r.timeUs - records[0]!.timeUs) / 1000;

/** A clock whose sleeps take no real time, so the schedule itself can be checked exactly. */
function virtualClock(): Clock & { sleeps: number; yields: number } {
  let t = 1_000;
  const clock = {
    sleeps: 0,
    yields: 0,
    now: () => t,
    sleep: async (ms: number) => {
      clock.sleeps++;
      t += ms;
    },
    yield: async () => {
      clock.yields++;
    },
  };
  return clock;
}

function recordingSink(clock: Clock, limit = Infinity, onLimit?: () => void): FrameSink & { at: number[] } {
  const at: number[] = [];
  return {
    at,
    description: 'memory',
    peerReady: Promise.resolve(),
    send() {
      at.push(clock.now() - 1_000);
      if (at.length === limit) onLimit?.();
      return undefined;
    },
    close: async () => undefined,
  };
}

async function run(options: Partial<ReplayOptions>, limit?: number): Promise<{ at: number[]; clock: ReturnType<typeof virtualClock> }> {
  const clock = virtualClock();
  const abort = new AbortController();
  const sink = recordingSink(clock, limit, () => abort.abort());
  const progress = { frames: 0, bytes: 0, passes: 0 };
  await replay(records, sink, { speed: 1, loop: false, burst: 32, clock, signal: abort.signal, ...options }, progress);
  expect(progress.frames).toBe(sink.at.length);
  return { at: sink.at, clock };
}

describe('replay pacing', () => {
  it('sends each record at its recorded offset from the first at speed 1', async () => {
    const { at } = await run({ speed: 1 });
    expect(at).toEqual(records.map(offsetMs));
  });

  it('compresses the schedule by the speed factor', async () => {
    const { at } = await run({ speed: 8 });
    expect(at).toEqual(records.map((r) => offsetMs(r) / 8));
  });

  it('starts each loop one mean record interval after the previous pass ended', async () => {
    const { at } = await run({ speed: 1, loop: true }, records.length * 2 + 1);
    const span = offsetMs(records.at(-1)!);
    const period = span + span / (records.length - 1);
    expect(at[records.length]).toBeCloseTo(period, 6);
    expect(at[2 * records.length]).toBeCloseTo(2 * period, 6);
  });

  it('never sleeps at speed Infinity, but yields to the event loop every burst', async () => {
    const { at, clock } = await run({ speed: Infinity, burst: 50 });
    expect(at).toHaveLength(records.length);
    expect(at.every((t) => t === 0)).toBe(true);
    expect(clock.sleeps).toBe(0);
    expect(clock.yields).toBe(Math.floor(records.length / 50));
  });
});
