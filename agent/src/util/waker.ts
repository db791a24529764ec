import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How long a loop with nothing to watch sleeps (no vehicle, no open file): the work that
 * arrives wakes it. A gateway without drones should not wake up every quarter second.
 */
export const IDLE_SLEEP_MS = 3_600_000;

/**
 * The wait in a long-running loop: until the interval passes, someone calls wake()
 * (settings changed, work arrived) or the loop's signal aborts. Whichever comes first,
 * the timer and the abort listener are removed, so a loop woken often leaks nothing.
 */
export class Waker {
  private wakeFn: (() => void) | undefined;

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const timer = new AbortController();
    const onAbort = () => timer.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve) => {
        this.wakeFn = resolve;
        sleep(ms, undefined, { signal: timer.signal }).then(resolve, resolve);
      });
    } finally {
      this.wakeFn = undefined;
      timer.abort();
      signal.removeEventListener('abort', onAbort);
    }
  }

  wake(): void {
    this.wakeFn?.();
  }
}

/**
 * The one loop of a long-running component (DESIGN §2): start() runs it once, stop() aborts
 * it, wakes it and resolves when it has really ended; between steps the loop sleeps here.
 */
export class ComponentLoop {
  private readonly waker = new Waker();
  private abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly run: (signal: AbortSignal) => Promise<void>) {}

  get running(): boolean { return this.loop !== undefined; }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.waker.wake();
    await this.loop;
    this.loop = undefined;
  }

  /** Ends the current sleep early: work arrived or settings changed. */
  wake(): void { this.waker.wake(); }

  sleep(ms: number, signal: AbortSignal): Promise<void> { return this.waker.sleep(ms, signal); }
}
