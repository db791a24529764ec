// How fast an export goes: an hour of 1080p25 4 Mbit/s footage as the recorder writes it
// (one-minute fMP4 segments, indexed in a SegmentIndex in LevelDB on disk), exported whole with
// exportRange into a sink, against `cat` of the same files to /dev/null. The footage is the
// simulated camera's clip looped through ffmpeg's segment muxer with the recorder's options,
// so no encoding is needed. Page cache cannot be dropped here: cat runs first to warm it, then
// both are timed, so the comparison is from memory, not from disk.
// Run: pnpm exec tsx test/bench/export-throughput.ts [segments=60] [segmentSeconds=60] [repeats=2]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportRange } from '@sargs/agent/cameras/export';
import { FRAGMENT_OPTIONS } from '@sargs/agent/cameras/ffmpeg-args';
import { SegmentIndex } from '@sargs/agent/cameras/segment-index';
import { dayOf } from '@sargs/agent/cameras/segment-paths';
import { Level } from 'level';
import { ensureMediaFiles } from '@sargs/sim/camera/media-files';
import { tempDir } from '../support/paths';
import { machineLine } from './proc';

const SEGMENTS = Number(process.argv[2] ?? 60);
const SEGMENT_S = Number(process.argv[3] ?? 60);
const REPEATS = Number(process.argv[4] ?? 2);
const CAMERA = 'cam-bench';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} failed (${code}): ${err.trim()}`))));
  });
}

async function timed<T>(f: () => Promise<T>): Promise<{ s: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { s: (performance.now() - t0) / 1000, value };
}

const work = tempDir('bench-export');
const db = new Level<string, unknown>(join(work.path, 'agent.db'), { valueEncoding: 'json' });
try {
  console.log(`machine: ${machineLine()}`);
  const { clip } = await ensureMediaFiles({ width: 1920, height: 1080, fps: 25, gop: 50, bitrateKbps: 4000, noise: 10 });
  const root = join(work.path, 'recordings');
  // Timestamps of an hour that ended a little while ago; the files are named as the recorder names them.
  const base = Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000;
  const day = join(root, CAMERA, dayOf(base));
  const gen = join(work.path, 'gen');
  await run('mkdir', ['-p', day, gen]);
  // Raw H.264 does not loop with -stream_loop (it cannot seek back), so the clip goes into MP4 first.
  const clipMp4 = join(work.path, 'clip.mp4');
  await run('/usr/bin/ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-framerate', '25', '-f', 'h264', '-i', clip, '-c', 'copy', clipMp4]);
  const made = await timed(() => run('/usr/bin/ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-stream_loop', '-1', '-i', clipMp4, '-t', String(SEGMENTS * SEGMENT_S),
    '-map', '0:v:0', '-c', 'copy', '-f', 'segment', '-segment_time', String(SEGMENT_S), '-segment_format', 'mp4',
    '-segment_format_options', FRAGMENT_OPTIONS, '-reset_timestamps', '1', join(gen, '%05d.mp4'),
  ]));
  const generated = readdirSync(gen).sort();
  const index = new SegmentIndex(db);
  await db.open();
  const files: string[] = [];
  let totalBytes = 0;
  for (const [i, name] of generated.entries()) {
    const start = base + i * SEGMENT_S * 1000;
    const fileName = `${new Date(start).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z.mp4`;
    const file = join(day, fileName);
    await run('mv', [join(gen, name), file]);
    const bytes = statSync(file).size;
    totalBytes += bytes;
    files.push(file);
    await index.add({ cameraId: CAMERA, path: `${CAMERA}/${dayOf(start)}/${fileName}`, bytes, start: new Date(start).toISOString(), end: new Date(start + SEGMENT_S * 1000).toISOString() });
  }
  const mb = totalBytes / 1e6;
  console.log(`footage: ${files.length} segments × ${SEGMENT_S} s, ${mb.toFixed(0)} MB (${((totalBytes * 8) / 1e6 / (files.length * SEGMENT_S)).toFixed(2)} Mbit/s), made in ${made.s.toFixed(1)} s`);

  const from = new Date(base).toISOString();
  const to = new Date(base + files.length * SEGMENT_S * 1000).toISOString();
  const sink = () => new Writable({ write(_c, _e, done) { done(); } });
  const cat = () => run('cat', files);
  const exp = () => exportRange({ cameraId: CAMERA, from, to }, sink(), { store: index, root, tmpDir: work.path, maxHours: 24 });

  await cat();
  for (let r = 1; r <= REPEATS; r++) {
    const c = await timed(cat);
    console.log(`run ${r}: cat > /dev/null       ${c.s.toFixed(2)} s, ${(mb / c.s).toFixed(0)} MB/s`);
    const e = await timed(exp);
    console.log(`run ${r}: exportRange → sink    ${e.s.toFixed(2)} s, ${(mb / e.s).toFixed(0)} MB/s of footage in; clip ${(e.value.bytes / 1e6).toFixed(0)} MB, ${e.value.durationS.toFixed(1)} s long, ${e.value.segments} segments, ${e.value.gaps.length} gaps`);
  }
  // Where an export's time goes: the same concat by itself, with and without +faststart (which
  // rewrites the whole file a second time to put the index first), and hashing the clip.
  const list = join(work.path, 'list.txt');
  await writeFile(list, ['ffconcat version 1.0', ...files.map((f) => `file '${f}'`)].join('\n') + '\n');
  const out = join(work.path, 'parts.mp4');
  const concat = (extra: string[]) => run('/usr/bin/ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', ...extra, '-y', out]);
  const plain = await timed(() => concat([]));
  const fast = await timed(() => concat(['-movflags', '+faststart']));
  const hash = await timed(async () => {
    const h = createHash('sha256');
    await pipeline(createReadStream(out), new Writable({ write(c: Buffer, _e, done) { h.update(c); done(); } }));
    return h.digest('hex');
  });
  await rm(out);
  console.log(`parts: ffmpeg concat -c copy ${plain.s.toFixed(2)} s; with +faststart ${fast.s.toFixed(2)} s; SHA-256 of the clip streamed from the file ${hash.s.toFixed(2)} s`);
} finally {
  await db.close();
  work.remove();
}
