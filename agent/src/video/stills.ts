import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { Lru, type SegmentLayouts } from './segment-layout-cache';

/** A still could not be made: nothing recorded then, or the decoder failed. */
export class StillError extends Error {
  constructor(readonly code: 'no-footage' | 'failed' | 'cancelled', message: string) { super(message); }
}

/**
 * At most `max` holders at once; the others wait in order. A waiter whose signal aborts leaves
 * the queue at once (its caller went away), so it never takes a slot nobody wants.
 */
export class DecodeSlots {
  private running = 0;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(private readonly max: number) {}

  get active(): number { return this.running; }
  get queued(): number { return this.waiting.length; }

  /** Resolves with a release function once a slot is free; rejects when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new StillError('cancelled', 'cancelled'));
    const release = once(() => {
      this.running--;
      this.waiting.shift()?.grant();
    });
    if (this.running < this.max) {
      this.running++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.running++;
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new StillError('cancelled', 'cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => { if (!done) { done = true; fn(); } };
}

export interface StillSettings {
  layouts: SegmentLayouts;
  log: Logger;
  ffmpegPath?: string;
  /** Decodes at once on the gateway (default 2: it has two cores and records meanwhile). */
  maxDecodes?: number;
  /** Bytes of JPEGs kept (default 16 MB, a few thousand thumbnails). */
  cacheBytes?: number;
  timeoutMs?: number;
}

export interface Still { jpeg: Buffer; takenAt: string }

const MAX_JPEG_BYTES = 8 * 1024 * 1024;

/**
 * JPEG stills of recorded footage for scrubbing: the keyframe at or before a moment, decoded on
 * demand. ffmpeg gets only the segment's init and that keyframe's fragment on stdin (no seeking
 * in the file, so the picture is exactly the part's first frame) and skips anything but keyframes.
 * Stills are cached per camera, part and width; decodes are queued, two at a time.
 */
export class Stills {
  private readonly cache: Lru<Still>;
  readonly slots: DecodeSlots;

  constructor(private readonly s: StillSettings) {
    this.cache = new Lru(100_000, s.cacheBytes ?? 16 * 1024 * 1024);
    this.slots = new DecodeSlots(s.maxDecodes ?? 2);
  }

  async still(cameraId: string, atMs: number, width: number, signal?: AbortSignal): Promise<Still> {
    const found = await this.s.layouts.partAt(cameraId, atMs);
    if (!found) throw new StillError('no-footage', `nothing of camera ${cameraId} is recorded at ${new Date(atMs).toISOString()}`);
    const { view, part } = found;
    const w = Math.max(32, Math.min(1920, Math.round(width / 2) * 2));
    const key = `${cameraId}|${view.seg.path}|${part.offset}|${w}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const release = await this.slots.acquire(signal);
    try {
      const input = await readRanges(view.file, [view.layout.init, { offset: part.offset, length: part.keyLength }]);
      const jpeg = await this.decode(input, w, signal);
      const still = { jpeg, takenAt: part.start };
      this.cache.set(key, still, jpeg.length);
      return still;
    } finally {
      release();
    }
  }

  private decode(input: Buffer, width: number, signal?: AbortSignal): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new StillError('cancelled', 'cancelled'));
      const child = spawn(this.s.ffmpegPath ?? '/usr/bin/ffmpeg', [
        '-hide_banner', '-nostdin', '-loglevel', 'error', '-skip_frame', 'nokey', '-f', 'mp4', '-i', 'pipe:0',
        '-frames:v', '1', '-vf', `scale=${width}:-2`, '-q:v', '5', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1',
      ], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let size = 0;
      let stderr = '';
      const kill = () => child.kill('SIGKILL');
      const timer = setTimeout(kill, this.s.timeoutMs ?? 15_000);
      signal?.addEventListener('abort', kill, { once: true });
      child.stdout.on('data', (d: Buffer) => { size += d.length; if (size > MAX_JPEG_BYTES) kill(); else out.push(d); });
      child.stderr.on('data', (d: Buffer) => { if (stderr.length < 2000) stderr += d.toString(); });
      // ffmpeg stops reading once it has its frame; a closed pipe is expected then.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
      child.once('error', (err) => { clearTimeout(timer); reject(new StillError('failed', `cannot run ffmpeg: ${err.message}`)); });
      child.once('close', (code, sig) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', kill);
        if (signal?.aborted) return reject(new StillError('cancelled', 'cancelled'));
        const jpeg = Buffer.concat(out);
        if (code === 0 && jpeg.length > 0) return resolve(jpeg);
        this.s.log.warn({ code, signal: sig, stderr: stderr.trim().slice(0, 500) }, 'still decode failed');
        reject(new StillError('failed', `the keyframe could not be decoded (${sig ?? `ffmpeg exit ${code}`})`));
      });
    });
  }
}

/** Reads byte ranges of a file into one buffer. */
async function readRanges(file: string, ranges: { offset: number; length: number }[]): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const total = ranges.reduce((n, r) => n + r.length, 0);
    const buf = Buffer.allocUnsafe(total);
    let at = 0;
    for (const r of ranges) {
      const { bytesRead } = await fh.read(buf, at, r.length, r.offset);
      at += bytesRead;
    }
    return buf.subarray(0, at);
  } finally {
    await fh.close();
  }
}
