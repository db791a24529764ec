import { concatScript, LiveFfmpeg, parkedArgs } from './live-ffmpeg';

export interface PoolTuning {
  /** A parked ffmpeg is made this long after one was taken (not while the taken one starts). */
  refillAfterMs: number;
  /** How often a parked ffmpeg checks it is still wanted (the media link is up). */
  checkEveryMs: number;
}

export const DEFAULT_POOL_TUNING: PoolTuning = { refillAfterMs: 1000, checkEveryMs: 10_000 };

/**
 * One live ffmpeg kept started ahead of the next live view: loading ffmpeg's ~200 libraries takes
 * 0.1-0.25 s of the 0.5 s from click to picture (more on a busy gateway), and a parked one has done
 * it. It waits on its stdin for the script naming the camera's address (live-ffmpeg.ts: parkedArgs,
 * concatScript), which goes through the pipe, never to disk or onto a command line. Made after the
 * agent's first live view, one second after each one taken (~10 MB of memory of its own while it
 * waits); ended when it is no longer wanted (the media link is down: the agent stopped, or no hub
 * can ask for video) or the agent stops, made again after the next live view. Taken while still
 * loading, it reads the script when it gets there: still sooner than a new one. A parked ffmpeg
 * holds the agent's process open for nothing, and ends with it (its stdin closes).
 */
export class LivePool {
  private parked: LiveFfmpeg | undefined;
  private refill: NodeJS.Timeout | undefined;
  private check: NodeJS.Timeout | undefined;
  private stopped = false;
  made = 0;
  taken = 0;

  constructor(private readonly ffmpegPath: string, private readonly wanted: () => boolean = () => true, private readonly t: PoolTuning = DEFAULT_POOL_TUNING) {}

  /** Whether an ffmpeg is parked. */
  get holding(): boolean { return this.parked !== undefined; }

  /**
   * The parked ffmpeg, started on `url` with these input options and its stdout going to `onData`;
   * undefined when none is parked (the caller spawns one). Whatever the answer, one is parked again
   * a little later.
   */
  take(url: string, options: [string, string][], onData: (chunk: Buffer) => void): LiveFfmpeg | undefined {
    this.scheduleRefill();
    const ff = this.parked;
    this.parked = undefined;
    clearInterval(this.check);
    if (!ff?.running) return undefined;
    ff.onData = onData;
    ff.start(concatScript(url, options));
    this.taken++;
    return ff;
  }

  /** Ends the parked ffmpeg and makes no more. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.refill);
    this.discard();
  }

  private scheduleRefill(): void {
    if (this.stopped || this.refill) return;
    this.refill = setTimeout(() => {
      this.refill = undefined;
      if (!this.parked && this.wanted()) this.park();
    }, this.t.refillAfterMs);
    this.refill.unref();
  }

  private park(): void {
    if (this.stopped) return;
    const ff = new LiveFfmpeg(this.ffmpegPath, parkedArgs(), undefined, 'pipe');
    ff.unref();
    this.parked = ff;
    this.made++;
    void ff.exited.then(() => { if (this.parked === ff) this.parked = undefined; });
    clearInterval(this.check);
    this.check = setInterval(() => { if (!this.wanted()) this.discard(); }, this.t.checkEveryMs);
    this.check.unref();
  }

  private discard(): void {
    clearInterval(this.check);
    const ff = this.parked;
    this.parked = undefined;
    // Closing its stdin ends it as surely as a signal (an empty script); the signal is quicker.
    if (ff) { ff.start(''); void ff.stop(0); }
  }
}
