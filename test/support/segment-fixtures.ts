// Real fragmented-MP4 segments and a LevelDB index of them, for retention/export tests that need no camera.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SegmentKey, SegmentStore } from '@sargs/agent/cameras/segment-store';
import type { Segment } from '@sargs/agent/cameras/types';
import type { Level } from 'level';

type Sub = ReturnType<Level<string, unknown>['sublevel']>;

/** Keyed `<start>!<cameraId>`, so the key order is the global (start, cameraId) order retention walks. */
export class LevelSegmentStore implements SegmentStore {
  private readonly sub: Sub;
  constructor(db: Level<string, unknown>) {
    this.sub = db.sublevel('segments', { valueEncoding: 'json' }) as Sub;
  }

  add(seg: Segment): Promise<void> { return this.sub.put(key(seg), seg); }

  async all(): Promise<Segment[]> { return (await this.sub.values().all()) as Segment[]; }

  async cameras(): Promise<string[]> {
    return [...new Set((await this.all()).map((s) => s.cameraId))].sort();
  }

  async list(cameraId: string, fromIso: string, toIso: string): Promise<Segment[]> {
    return (await this.all()).filter((s) => s.cameraId === cameraId && s.end > fromIso && s.start < toIso);
  }

  async listOldest(limit: number, after?: SegmentKey): Promise<Segment[]> {
    return (await this.sub.values(after ? { gt: key(after), limit } : { limit }).all()) as Segment[];
  }

  remove(cameraId: string, start: string): Promise<void> { return this.sub.del(key({ cameraId, start })); }
}

const key = (k: SegmentKey): string => `${k.start}!${k.cameraId}`;

export interface ClipOptions {
  segments: number;
  seconds?: number;
  size?: string;
  /** Constant bitrate, to make segments of a predictable size (a 4 s segment at 4000k is about 2 MB). */
  kbps?: number;
}

/**
 * Encodes one continuous testsrc clip and cuts it into consecutive segments the way the recorder
 * writes them: H.264, keyframe every 2 s, fragmented MP4. Returns the files in order.
 */
export async function encodeSegments(dir: string, opts: ClipOptions): Promise<string[]> {
  const seconds = opts.seconds ?? 4;
  await mkdir(dir, { recursive: true });
  const rate = opts.kbps
    ? ['-b:v', `${opts.kbps}k`, '-minrate', `${opts.kbps}k`, '-maxrate', `${opts.kbps}k`, '-bufsize', `${opts.kbps / 2}k`, '-x264-params', 'nal-hrd=cbr']
    : [];
  await ffmpeg(['-f', 'lavfi', '-i', `testsrc=size=${opts.size ?? '320x240'}:rate=25`, '-t', String(opts.segments * seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', ...rate,
    '-f', 'segment', '-segment_time', String(seconds), '-segment_format', 'mp4',
    '-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof', join(dir, 'seg%03d.mp4')]);
  return (await readdir(dir)).filter((f) => /^seg\d+\.mp4$/.test(f)).sort().map((f) => join(dir, f));
}

/** `<cameraId>/<YYYY-MM-DD>/<YYYYMMDDTHHMMSS>Z.mp4`, the recorder's layout. */
export function segmentPath(cameraId: string, startMs: number): string {
  const iso = new Date(startMs).toISOString();
  return `${cameraId}/${iso.slice(0, 10)}/${iso.slice(0, 19).replace(/[-:]/g, '')}Z.mp4`;
}

/** Copies a clip into the recordings root as a segment of `cameraId` starting at `startMs`, and indexes it. */
export async function placeSegment(root: string, store: LevelSegmentStore, cameraId: string, startMs: number, src: string, seconds = 4): Promise<Segment> {
  const path = segmentPath(cameraId, startMs);
  const file = join(root, path);
  await mkdir(dirname(file), { recursive: true });
  await copyFile(src, file);
  const seg: Segment = {
    cameraId, path, bytes: (await stat(file)).size,
    start: new Date(startMs).toISOString(), end: new Date(startMs + seconds * 1000).toISOString(),
  };
  await store.add(seg);
  return seg;
}

export function ffmpeg(args: string[]): Promise<string> {
  return tool('/usr/bin/ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args]);
}

export function ffprobe(args: string[]): Promise<string> {
  return tool('/usr/bin/ffprobe', ['-v', 'error', ...args]);
}

function tool(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err.trim()}`));
    });
  });
}
