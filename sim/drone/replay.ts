import type { TlogRecord } from '@sargs/shared/mavlink/tlog';
import type { Clock } from './clock.ts';
import type { FrameSink } from './sink.ts';

export interface ReplayOptions {
  /** 1 = recorded pace, N = N times faster, Infinity = as fast as the link takes them. */
  speed: number;
  loop: boolean;
  /**
   * Frames sent back to back before giving the event loop a turn. A reader in this same
   * process cannot read until we yield, and libuv then takes at most 32 datagrams per
   * socket per turn. Measured on loopback with the full VTOL log: no yielding delivered
   * 512 of 23,894 frames (10,082 with a 4 MiB buffer), 256 per turn 10,594; 32, all.
   */
  burst: number;
  clock: Clock;
  signal: AbortSignal;
}

export interface ReplayProgress {
  frames: number;
  bytes: number;
  /** Completed passes through the records (loop mode starts another after each). */
  passes: number;
}

function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Sends records through a sink, each at its recorded offset from the first record divided
 * by speed. Pacing is against the schedule, not the previous send, so timer lateness does
 * not accumulate over a long flight.
 */
export async function replay(records: readonly TlogRecord[], sink: FrameSink, options: ReplayOptions, progress: ReplayProgress): Promise<void> {
  const first = records[0];
  const last = records.at(-1);
  if (first === undefined || last === undefined) return;
  const { clock, signal, speed } = options;
  const aborted = whenAborted(signal);
  const spanMs = Number(last.timeUs - first.timeUs) / 1000;
  // A loop restarts one average record interval after the last record, not on top of it.
  const loopPeriodMs = spanMs + (records.length > 1 ? spanMs / (records.length - 1) : 1);
  const paced = Number.isFinite(speed);
  const startMs = clock.now();
  let sinceYield = 0;

  for (let pass = 0; !signal.aborted; pass++) {
    for (const record of records) {
      if (paced) {
        const dueMs = startMs + (pass * loopPeriodMs + Number(record.timeUs - first.timeUs) / 1000) / speed;
        const waitMs = dueMs - clock.now();
        if (waitMs > 0) {
          await clock.sleep(waitMs, signal);
          sinceYield = 0;
        }
      }
      if (signal.aborted) return;
      const wait = sink.send(record.frame);
      progress.frames++;
      progress.bytes += record.frame.length;
      if (wait !== undefined) {
        await Promise.race([wait, aborted]);
        sinceYield = 0;
      } else if (++sinceYield >= options.burst) {
        await clock.yield();
        sinceYield = 0;
      }
    }
    progress.passes++;
    if (!options.loop) return;
  }
}
