import { closeSync, openSync, readSync } from 'node:fs';
import { systemClock, type Clock } from './types';

/** Default poll period; with fragments written every 0.5 s a healthy recorder grows at nearly every look. */
export const WRITE_POLL_MS = 500;

interface Watched {
  fd: number;
  /** Bytes the process had written at the last look. */
  written: number;
  onWrite: (at: number) => void;
}

/**
 * Tells when recording ffmpegs write, by reading the `wchar` counter of `/proc/<pid>/io` for
 * all of them on one timer. A recorder writes a fragment about twice a second while video
 * arrives and nothing while it does not, so a growing counter is "frames still arriving".
 * Reading progress from each ffmpeg's stdout instead woke the agent once a second per camera,
 * and each wake-up through Node's stream machinery cost more than this whole poll.
 * Linux only: where `/proc/self/io` cannot be read, `supported` is false and the recorder
 * falls back to ffmpeg's progress reports.
 */
export class WriteActivityMonitor {
  private static canRead: boolean | undefined;

  /** Whether this system lets the agent read its children's I/O counters. */
  static get supported(): boolean {
    if (WriteActivityMonitor.canRead === undefined) {
      const fd = openIo('self');
      WriteActivityMonitor.canRead = readWritten(fd) !== undefined;
      if (fd !== undefined) closeSync(fd);
    }
    return WriteActivityMonitor.canRead;
  }

  private readonly watched = new Map<number, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private readonly buf = Buffer.alloc(512);

  constructor(private readonly pollMs = WRITE_POLL_MS, private readonly clock: Clock = systemClock) {}

  /**
   * Calls `onWrite` at each look that finds `pid` has written since the one before, from now
   * on. Returns the function that stops watching. A process that cannot be read is not watched.
   */
  watch(pid: number, onWrite: (at: number) => void): () => void {
    const fd = openIo(String(pid));
    const written = fd === undefined ? undefined : this.readWritten(fd);
    if (fd === undefined || written === undefined) {
      if (fd !== undefined) closeSync(fd);
      return () => undefined;
    }
    this.unwatch(pid);
    const entry = { fd, written, onWrite };
    this.watched.set(pid, entry);
    if (!this.timer) {
      this.timer = setInterval(() => this.look(), this.pollMs);
      // Never the reason the agent stays alive.
      this.timer.unref();
    }
    // Only this watch: a later one of a reused pid is not this caller's to end.
    return () => { if (this.watched.get(pid) === entry) this.unwatch(pid); };
  }

  get size(): number { return this.watched.size; }

  /** One look at every watched process; the timer calls this, tests may too. */
  look(): void {
    const now = this.clock.now();
    for (const [pid, w] of this.watched) {
      const written = this.readWritten(w.fd);
      if (written === undefined) { this.unwatch(pid); continue; }
      if (written <= w.written) continue;
      w.written = written;
      w.onWrite(now);
    }
  }

  private unwatch(pid: number): void {
    const w = this.watched.get(pid);
    if (!w) return;
    this.watched.delete(pid);
    closeSync(w.fd);
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private readWritten(fd: number): number | undefined {
    return readWritten(fd, this.buf);
  }
}

function openIo(pid: string): number | undefined {
  try {
    return openSync(`/proc/${pid}/io`, 'r');
  } catch {
    return undefined;
  }
}

/** `wchar` from an open `/proc/<pid>/io`; reading at offset 0 makes the kernel fill it afresh. */
function readWritten(fd: number | undefined, buf = Buffer.alloc(512)): number | undefined {
  if (fd === undefined) return undefined;
  try {
    const text = buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0));
    const at = text.indexOf('wchar: ');
    if (at < 0) return undefined;
    const n = Number(text.slice(at + 7, text.indexOf('\n', at)));
    return Number.isFinite(n) ? n : undefined;
  } catch {
    // The process is gone (ESRCH) or the file was never readable.
    return undefined;
  }
}
