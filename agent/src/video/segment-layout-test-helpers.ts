// Test helpers for the playback code: segment files made by a real ffmpeg the way the recorder makes them.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FRAGMENT_OPTIONS } from '../cameras/ffmpeg-args';

const run = promisify(execFile);
const FPS = 25;

/** Segments the way the recorder writes them: H.264 with a keyframe every 2 s, 4 s files, 0.5 s fragments, timestamps reset per file. */
export async function recorderSegments(dir: string, seconds = 12, size = '320x240'): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  await run('/usr/bin/ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${FPS}`, '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '0',
    '-f', 'segment', '-segment_time', '4', '-segment_format', 'mp4', '-segment_format_options', FRAGMENT_OPTIONS, '-reset_timestamps', '1',
    join(dir, 'seg%03d.mp4')]);
  return readdirSync(dir).filter((f) => /^seg\d+\.mp4$/.test(f)).sort().map((f) => join(dir, f));
}

