import { setImmediate as immediate } from 'node:timers/promises';

/** Time as the replay sees it; tests substitute a virtual one. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Resolves after ms, or early (without error) when signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Lets other I/O run: sockets being read in this same process, for one. */
  yield(): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    }),
  yield: () => immediate(),
};
