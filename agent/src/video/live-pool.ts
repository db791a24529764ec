import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { concatScript, LiveFfmpeg, parkedArgs } from './live-ffmpeg';

export interface PoolTuning {
  /** A parked ffmpeg is made this long after one was taken (not while the taken one starts). */
  refillAfterMs: number;
  /** How often a parked ffmpeg checks it is still wanted (the media link is up). */
  checkEveryMs: number;
}

export const DEFAULT_POOL_TUNING: PoolTuning = { refillAfterMs: 1000, checkEveryMs: 10_000 };

interface Parked { ff: LiveFfmpeg; dir: string; fifo: string }

/**
 * One live ffmpeg kept started ahead of the next live view: loading ffmpeg's ~200 libraries takes
 * 0.1-0.25 s of the 0.5 s from click to picture (more on a busy gateway), and a parked one has done
 * it. It waits, blocked opening a FIFO in a private directory, for the script naming the camera's
 * address (live-ffmpeg.ts: parkedArgs, concatScript), which goes through the FIFO, never to disk or
 * onto a command line. Made after the agent's first live view, one second after each one taken
 * (~10 MB of memory of its own while it waits); ended when it is no longer wanted (the media link is
 * down: the agent stopped, or no hub can ask for video), made again after the next live view. When
 * none is ready (still loading, or gone), the live call spawns its own as before. A parked ffmpeg
 * holds the agent's process open for nothing, and dies with it (the launcher's parent-death signal).
 */
export class LivePool {
  private parked: Parked | undefined;
  private refill: NodeJS.Timeout | undefined;
  private check: NodeJS.Timeout | undefined;
  private stopped = false;
  made = 0;
  taken = 0;

  constructor(private readonly ffmpegPath: string, private readonly wanted: () => boolean = () => true, private readonly t: PoolTuning = DEFAULT_POOL_TUNING) {}

  /** Whether an ffmpeg is parked (ready or still loading). */
  get holding(): boolean { return this.parked !== undefined; }

  /**
   * The parked ffmpeg, started on `url` with these input options and its stdout going to `onData`;
   * undefined when none is ready (the caller spawns one). Whatever the answer, one is parked again
   * a little later.
   */
  take(url: string, options: [string, string][], onData: (chunk: Buffer) => void): LiveFfmpeg | undefined {
    this.scheduleRefill();
    const p = this.parked;
    if (!p) return undefined;
    if (!p.ff.running) { this.discard(); return undefined; }
    let fd: number;
    try {
      // Non-blocking: fails (ENXIO) unless the ffmpeg has the FIFO open, i.e. has loaded and waits.
      fd = openSync(p.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      // ENXIO: still loading, left parked for the next one; anything else: it is of no use.
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') this.discard();
      return undefined;
    }
    this.parked = undefined;
    clearInterval(this.check);
    try {
      // A few hundred bytes: one atomic write into the empty pipe.
      writeSync(fd, concatScript(url, options));
    } catch {
      void p.ff.stop(0);
      return undefined;
    } finally {
      closeSync(fd);
      rmSync(p.dir, { recursive: true, force: true });
    }
    p.ff.onData = onData;
    this.taken++;
    return p.ff;
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
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(tmpdir(), 'sargs-live-'));
      const fifo = join(dir, 'input.ffconcat');
      execFileSync('mkfifo', ['-m', '600', fifo]);
      const ff = new LiveFfmpeg(this.ffmpegPath, parkedArgs(fifo));
      ff.unref();
      const parked: Parked = { ff, dir, fifo };
      this.parked = parked;
      this.made++;
      void ff.exited.then(() => {
        if (this.parked === parked) this.parked = undefined;
        rmSync(parked.dir, { recursive: true, force: true });
      });
      clearInterval(this.check);
      this.check = setInterval(() => { if (!this.wanted()) this.discard(); }, this.t.checkEveryMs);
      this.check.unref();
    } catch {
      // No FIFO here (or no ffmpeg): live views spawn their own.
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }

  private discard(): void {
    clearInterval(this.check);
    const p = this.parked;
    this.parked = undefined;
    if (!p) return;
    void p.ff.stop(0);
    rmSync(p.dir, { recursive: true, force: true });
  }
}
