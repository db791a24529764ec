// The test clip and snapshot, encoded once with ffmpeg into sim/.cache and reused afterwards.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VideoCodec, VideoFormat } from './state';

export const CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache');
const FFMPEG = '/usr/bin/ffmpeg';

export const DEFAULT_VIDEO: VideoFormat = { width: 640, height: 360, fps: 25, gop: 50, bitrateKbps: 800 };

/**
 * The sub-stream of a main stream: half the size each way (even, as H.264 4:2:0 needs), the same
 * rate and GOP, a quarter of the bitrate, the plain pattern. Derived, not chosen per camera, so
 * every camera of a given main format shares one cached clip: a demo of 4 or a benchmark of 32
 * cameras encodes it once.
 */
export function subStreamVideo(main: VideoFormat): VideoFormat {
  const half = (n: number): number => Math.max(2, Math.round(n / 4) * 2);
  return { width: half(main.width), height: half(main.height), fps: main.fps, gop: main.gop, bitrateKbps: Math.max(64, Math.round(main.bitrateKbps / 4)) };
}
/** Two GOPs: short to encode, long enough that the loop point is exercised within a few seconds. */
const CLIP_SECONDS = 4;

export interface MediaFiles {
  /** Annex-B elementary stream (H.264 or H.265), parameter sets before every keyframe. */
  clip: string;
  snapshot: string;
}

/**
 * The clip of a format, encoded with x264 (baseline) or, for `h265`, x265 (Main), each with a
 * keyframe exactly every `gop` frames and no B-frames. The codec is part of the cached file's name.
 */
export async function ensureMediaFiles(video: VideoFormat = DEFAULT_VIDEO, cacheDir = CACHE_DIR, codec: VideoCodec = 'h264'): Promise<MediaFiles> {
  await mkdir(cacheDir, { recursive: true });
  const noise = video.noise ? `-noise${video.noise}` : '';
  const tag = `${video.width}x${video.height}-${video.fps}fps-gop${video.gop}-${video.bitrateKbps}k${noise}`;
  // H.264 clips keep the names they always had, so existing caches stay valid.
  const clip = join(cacheDir, `camera-${tag}-${CLIP_SECONDS}s.${codec}`);
  const rate = ['-b:v', `${video.bitrateKbps}k`, '-maxrate', `${video.bitrateKbps}k`, '-bufsize', `${video.bitrateKbps * 2}k`];
  // Fixed GOP with no scene-cut keyframes, so keyframes come every gop frames, also across the loop point.
  const encoder = codec === 'h265'
    ? [
        '-c:v', 'libx265', '-pix_fmt', 'yuv420p', ...rate,
        // Closed GOPs: every keyframe an IDR (x265's open GOPs make later ones CRA pictures), VPS/SPS/PPS before each.
        '-x265-params', `log-level=error:repeat-headers=1:keyint=${video.gop}:min-keyint=${video.gop}:scenecut=0:bframes=0:open-gop=0`,
        '-f', 'hevc',
      ]
    : [
        '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-bf', '0',
        '-g', String(video.gop), '-keyint_min', String(video.gop), '-sc_threshold', '0', ...rate,
        '-x264-params', 'repeat-headers=1', '-f', 'h264',
      ];
  const [snapshot] = await Promise.all([
    ensureSnapshot(video, cacheDir),
    ensureFile(clip, (out) => [
      '-f', 'lavfi', '-i', `testsrc=size=${video.width}x${video.height}:rate=${video.fps}:duration=${CLIP_SECONDS}`,
      ...(video.noise ? ['-vf', `noise=alls=${video.noise}:allf=t`] : []),
      ...encoder, out,
    ]),
  ]);
  return { clip, snapshot };
}

/** The snapshot JPEG alone, for cameras that encode live and need no clip (clock streams). */
export async function ensureSnapshot(video: VideoFormat = DEFAULT_VIDEO, cacheDir = CACHE_DIR): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const snapshot = join(cacheDir, `camera-${video.width}x${video.height}.jpg`);
  await ensureFile(snapshot, (out) => [
    '-f', 'lavfi', '-i', `testsrc=size=${video.width}x${video.height}:rate=1`,
    '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '3', '-f', 'image2', out,
  ]);
  return snapshot;
}

/**
 * Produces `target` once. Several test workers may race here: each encodes into its own
 * temporary file and renames it into place, which is atomic, so readers never see half a file.
 */
async function ensureFile(target: string, args: (out: string) => string[]): Promise<void> {
  if (await nonEmpty(target)) return;
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await runFfmpeg(args(tmp));
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function nonEmpty(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code, signal) => code === 0
      ? resolve()
      : reject(new Error(`ffmpeg failed (${signal ?? code}): ${stderr.trim()}`)));
  });
}
