import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { findGaps, segmentFile, type Gap, type SegmentStore } from './segment-store';
import type { Segment } from './types';

export const DEFAULT_MAX_EXPORT_HOURS = 24;
/** Seams shorter than this between segments are the recorder's normal frame-or-two slack, not missing footage. */
export const GAP_THRESHOLD_MS = 1500;

export interface ExportRequest {
  cameraId: string;
  /** ISO-8601 UTC. */
  from: string;
  to: string;
}

export interface ExportDeps {
  store: Pick<SegmentStore, 'list'>;
  root: string;
  /** Where the clip is assembled before streaming; needs room for the whole clip. Default: the OS temp folder. */
  tmpDir?: string;
  maxHours?: number;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Kills ffmpeg if it runs longer (default 15 min). */
  timeoutMs?: number;
  signal?: AbortSignal;
  log?: Logger;
  /**
   * Called with the clip's hash and size before its first byte is written, so a requester
   * can announce them (HTTP headers) ahead of the body. Costs one extra read of the clip.
   */
  beforeStream?: (info: ExportResult) => Promise<void>;
}

export interface ExportResult {
  /** SHA-256 (hex) of exactly the bytes written to the output, for the audit log. */
  sha256: string;
  bytes: number;
  durationS: number;
  /** Wall-clock time of the clip's first frame: the keyframe at or before `from`. */
  startsAt: string;
  /** Stretches of the range with no footage; the clip plays across them without a pause. */
  gaps: Gap[];
  segments: number;
}

export type ExportErrorCode = 'bad-range' | 'too-long' | 'no-footage' | 'ffmpeg-failed';

export class ExportError extends Error {
  constructor(readonly code: ExportErrorCode, message: string) { super(message); }
}

/**
 * Writes the footage of one camera between `from` and `to` to `out` as one MP4, by stream copy
 * (no re-encoding, so it is fast and the pictures are the recorded ones). The start is cut at the
 * keyframe at or before `from`, the end just after `to`. The clip is built in a temporary file
 * because +faststart moves the index to the front, which needs a seekable output; then it is
 * streamed to `out` (which is ended) and deleted.
 */
export async function exportRange(req: ExportRequest, out: Writable, deps: ExportDeps): Promise<ExportResult> {
  const fromMs = Date.parse(req.from);
  const toMs = Date.parse(req.to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs) || toMs <= fromMs) throw new ExportError('bad-range', 'export needs ISO-8601 from and to, with to after from');
  const maxHours = deps.maxHours ?? DEFAULT_MAX_EXPORT_HOURS;
  if (toMs - fromMs > maxHours * 3_600_000) throw new ExportError('too-long', `export ranges are limited to ${maxHours} h`);

  const listed = (await deps.store.list(req.cameraId, new Date(fromMs).toISOString(), new Date(toMs).toISOString()))
    .filter((s) => Date.parse(s.end) > fromMs && Date.parse(s.start) < toMs)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  // Retention may have deleted a file the index still lists; that stretch is a gap, not a failure.
  const present = (await Promise.all(listed.map(async (s) => (await exists(segmentFile(deps.root, s)) ? s : undefined))))
    .filter((s): s is Segment => s !== undefined);
  const first = present[0];
  const last = present[present.length - 1];
  if (!first || !last) throw new ExportError('no-footage', `no footage of camera ${req.cameraId} between ${req.from} and ${req.to}`);
  const gaps = findGaps(present, fromMs, toMs, GAP_THRESHOLD_MS);

  const ffprobe = deps.ffprobePath ?? '/usr/bin/ffprobe';
  const work = await mkdtemp(join(deps.tmpDir ?? tmpdir(), 'sargs-export-'));
  try {
    const cut = await planCuts(present, fromMs, toMs, deps.root, ffprobe);
    const listFile = join(work, 'list.txt');
    await writeFile(listFile, cut.lines.join('\n') + '\n');
    const clip = join(work, 'clip.mp4');
    const started = Date.now();
    await run(deps.ffmpegPath ?? '/usr/bin/ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', listFile,
      '-map', '0', '-c', 'copy', '-movflags', '+faststart', '-y', clip,
    ], deps.timeoutMs ?? 15 * 60_000, deps.signal);
    const durationS = await probeDuration(ffprobe, clip);
    const meta = { startsAt: new Date(cut.startsAtMs).toISOString(), gaps, segments: present.length, durationS };
    if (deps.beforeStream) await deps.beforeStream({ ...meta, ...(await hashFile(clip)) });
    const { sha256, bytes } = await streamHashed(clip, out, deps.signal);
    deps.log?.info({ cameraId: req.cameraId, from: req.from, to: req.to, segments: present.length, bytes, durationS, ms: Date.now() - started, sha256 }, 'export written');
    return { sha256, bytes, durationS, startsAt: new Date(cut.startsAtMs).toISOString(), gaps, segments: present.length };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface Cuts { lines: string[]; startsAtMs: number }

/**
 * The concat list. Segment times are wall-clock, inpoint/outpoint are in the file's own
 * timestamps, which need not start at zero (a recorder copying an RTSP stream keeps them running),
 * so the first and last file are probed. The inpoint goes exactly on a keyframe: the concat
 * demuxer would otherwise pass the packets from the previous keyframe with negative times.
 */
async function planCuts(segs: Segment[], fromMs: number, toMs: number, root: string, ffprobe: string): Promise<Cuts> {
  const lines = ['ffconcat version 1.0'];
  let startsAtMs = Date.parse(segs[0]?.start ?? '');
  for (const [i, seg] of segs.entries()) {
    const file = segmentFile(root, seg);
    const segStart = Date.parse(seg.start);
    lines.push(`file ${quote(file)}`);
    const trimStart = i === 0 && fromMs > segStart;
    const trimEnd = i === segs.length - 1 && toMs < Date.parse(seg.end);
    if (!trimStart && !trimEnd) continue;
    const pk = await probePackets(ffprobe, file);
    if (trimStart) {
      const want = pk.firstPts + (fromMs - segStart) / 1000;
      const key = pk.keyframes.filter((k) => k <= want + 0.001).pop();
      if (key !== undefined && key > pk.firstPts) {
        lines.push(`inpoint ${key.toFixed(6)}`);
        startsAtMs = segStart + Math.round((key - pk.firstPts) * 1000);
      }
    }
    if (trimEnd) lines.push(`outpoint ${(pk.firstPts + (toMs - segStart) / 1000).toFixed(6)}`);
  }
  return { lines, startsAtMs };
}

/** ffconcat quoting: single quotes, with a quote written as '\'' */
function quote(path: string): string {
  return `'${path.replace(/'/g, "'\\''")}'`;
}

async function probePackets(ffprobe: string, file: string): Promise<{ firstPts: number; keyframes: number[] }> {
  const csv = await run(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file], 60_000);
  let firstPts = Infinity;
  const keyframes: number[] = [];
  for (const line of csv.split('\n')) {
    const [pts, flags] = line.trim().split(',');
    const t = Number(pts);
    if (!pts || !Number.isFinite(t)) continue;
    firstPts = Math.min(firstPts, t);
    if (flags?.includes('K')) keyframes.push(t);
  }
  if (!Number.isFinite(firstPts)) throw new ExportError('ffmpeg-failed', `no video packets in ${file}`);
  return { firstPts, keyframes: keyframes.sort((a, b) => a - b) };
}

async function probeDuration(ffprobe: string, file: string): Promise<number> {
  const d = Number((await run(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], 60_000)).trim());
  return Number.isFinite(d) ? d : 0;
}

async function streamHashed(file: string, out: Writable, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(file), tap, out, signal ? { signal } : {});
  return { sha256: hash.digest('hex'), bytes };
}

async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}

/** Runs a tool to completion and resolves with its stdout. */
function run(cmd: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ExportError('ffmpeg-failed', 'export cancelled'));
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString(); });
    const kill = (): void => { child.kill('SIGKILL'); };
    const timer = setTimeout(kill, timeoutMs);
    signal?.addEventListener('abort', kill, { once: true });
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      if (code === 0) resolve(stdout);
      else reject(new ExportError('ffmpeg-failed', `${cmd.split('/').pop()} failed (${sig ?? code}): ${stderr.trim().slice(0, 500)}`));
    });
  });
}
