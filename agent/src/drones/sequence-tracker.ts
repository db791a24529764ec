/** After this long without a frame the next one restarts the count: a silence is link loss, not a gap. */
const RESYNC_MS = 1000;
/**
 * A step back by up to this many frames is a copy arriving late through a second, slower path
 * (two radios, a forwarding ground station), not loss and not a second sender.
 */
const LATE_COPY_STEPS = 64;
const WINDOW_SECONDS = 5;

/**
 * Follows one MAVLink sender's 8-bit sequence numbers: the share of its frames that arrived
 * over the last few seconds (from the gaps), and how often the sequence stepped backwards,
 * which one sender never does while it keeps talking.
 */
export class SequenceTracker {
  private last = -1;
  private lastAtMs = 0;
  private readonly seconds = new Array<number>(WINDOW_SECONDS).fill(-1);
  private readonly received = new Array<number>(WINDOW_SECONDS).fill(0);
  private readonly expected = new Array<number>(WINDOW_SECONDS).fill(0);
  private backJumps: number[] = [];
  /** Frames counted (duplicates and late copies excluded). */
  frames = 0;

  note(seq: number, atMs: number): void {
    if (this.last < 0 || atMs - this.lastAtMs > RESYNC_MS) {
      this.count(atMs, 1);
    } else {
      const d = (seq - this.last) & 0xff;
      if (d === 0 || d > 256 - LATE_COPY_STEPS) return;
      if (d > 128) {
        this.backJumps.push(atMs);
        if (this.backJumps.length > 32) this.backJumps.shift();
        this.count(atMs, 1);
      } else {
        this.count(atMs, d);
      }
    }
    this.last = seq;
    this.lastAtMs = atMs;
  }

  /** How far `seq` is ahead of the last frame (0 for a repeat or a late copy); 255 when nothing was seen. */
  distance(seq: number): number {
    if (this.last < 0) return 255;
    const d = (seq - this.last) & 0xff;
    return d > 256 - LATE_COPY_STEPS ? 0 : d;
  }

  recentBackJumps(nowMs: number, windowMs: number): number {
    let n = 0;
    for (const t of this.backJumps) if (nowMs - t <= windowMs) n++;
    return n;
  }

  clearBackJumps(): void {
    this.backJumps = [];
  }

  /** Percent of frames received over the last 5 s, or undefined when none arrived in that time. */
  qualityPercent(nowMs: number): number | undefined {
    const now = Math.floor(nowMs / 1000);
    let received = 0;
    let expected = 0;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      const s = this.seconds[i]!;
      if (s >= 0 && now - s < WINDOW_SECONDS && s <= now) {
        received += this.received[i]!;
        expected += this.expected[i]!;
      }
    }
    return expected === 0 ? undefined : Math.min(100, (100 * received) / expected);
  }

  private count(atMs: number, expected: number): void {
    this.frames++;
    const s = Math.floor(atMs / 1000);
    const i = s % WINDOW_SECONDS;
    if (this.seconds[i] !== s) {
      this.seconds[i] = s;
      this.received[i] = 0;
      this.expected[i] = 0;
    }
    this.received[i]!++;
    this.expected[i]! += expected;
  }
}
