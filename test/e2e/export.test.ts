// Export of recorded footage (the agent's stitcher) and the storage report, on real
// fragmented-MP4 segments cut with the recorder's options and a real LevelDB.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { segmentFile } from '@sargs/agent/cameras/segment-store';
import { storageReport } from '@sargs/agent/cameras/storage-report';
import type { Segment } from '@sargs/agent/cameras/types';
import { planExport, type ExportRequest } from '@sargs/agent/video/export-plan';
import { streamExport } from '@sargs/agent/video/export-stream';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/paths';
import { LevelSegmentStore } from '../support/segment-fixtures';
import { place, probeBuffer, recorderSegments, type Packet } from '../video/export-fixtures';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const FRAME = 0.04;

/** What ffmpeg makes of the file read from a pipe, which it cannot seek in: errors printed and frames decoded. */
function decodeFromPipe(clip: Buffer): Promise<{ errors: string; frames: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/ffmpeg', ['-hide_banner', '-nostats', '-v', 'error', '-f', 'mp4', '-i', 'pipe:0', '-map', '0:v', '-f', 'framemd5', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let errors = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { errors += d.toString(); });
    child.once('error', reject);
    child.once('close', () => resolve({ errors, frames: out.split('\n').filter((l) => /^\d/.test(l)).length }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(clip);
  });
}

/** Steps between consecutive decode times that are not one frame long. */
function jumps(packets: Packet[]): { at: number; step: number }[] {
  const out: { at: number; step: number }[] = [];
  for (let i = 1; i < packets.length; i++) {
    const step = packets[i]!.dts - packets[i - 1]!.dts;
    if (Math.abs(step - FRAME) > 0.002) out.push({ at: packets[i]!.dts, step: Math.round(step * 1000) / 1000 });
  }
  return out;
}

describe('export and storage report', () => {
  const dir = tempDir('export');
  const root = join(dir.path, 'recordings');
  const work = join(dir.path, 'work');
  let db: Level<string, unknown>;
  let store: LevelSegmentStore;
  const placed: Segment[] = [];

  beforeAll(async () => {
    db = new Level<string, unknown>(join(dir.path, 'agent.db'), { valueEncoding: 'json' });
    await db.open();
    store = new LevelSegmentStore(db);
    const files = await recorderSegments(join(dir.path, 'clip'), { segments: 5 });
    // cam-a: 0–12 s in three segments, nothing 12–20 s, then 20–28 s.
    const starts = [0, 4, 8, 20, 24];
    for (const [i, s] of starts.entries()) placed.push(await place(root, store, 'cam-a', T0 + s * 1000, files[i] ?? ''));
    placed.push(await place(root, store, 'cam-b', T0, files[0] ?? ''));
    // cam-c: the camera's picture size changes between its second and third segment.
    const small = await recorderSegments(join(dir.path, 'small'), { segments: 1, size: '160x120' });
    for (const [i, f] of [files[0], files[1], small[0]].entries()) await place(root, store, 'cam-c', T0 + i * 4000, f ?? '');
    // cam-d: the last segment was salvaged after a crash, cut off inside a fragment.
    for (const [i, f] of [files[0], files[1]].entries()) placed.push(await place(root, store, 'cam-d', T0 + i * 4000, f ?? ''));
    const cut = placed[placed.length - 1]!;
    await truncate(segmentFile(root, cut), Math.floor((await stat(segmentFile(root, cut))).size * 0.7));
    // cam-e: cam-a's first three files without the index ffmpeg writes at their end (mfra).
    for (const [i, f] of files.slice(0, 3).entries()) {
      const seg = await place(root, store, 'cam-e', T0 + i * 4000, f ?? '');
      const file = segmentFile(root, seg);
      const bytes = await readFile(file);
      expect(bytes.toString('latin1', bytes.length - 12, bytes.length - 8)).toBe('mfro');
      await truncate(file, bytes.length - bytes.readUInt32BE(bytes.length - 4));
    }
    await mkdir(work, { recursive: true });
  });
  afterAll(async () => {
    await db?.close();
    dir.remove();
  });

  async function exportClip(req: ExportRequest, maxHours?: number, hashWorker?: boolean) {
    const plan = await planExport(req, { store, root, cameraName: (id) => (id === 'cam-a' ? 'Depot gate' : undefined), ...(maxHours ? { maxHours } : {}) });
    const chunks: Buffer[] = [];
    try {
      const r = await streamExport(plan, async (c) => { chunks.push(Buffer.from(c)); }, undefined, { hashWorker });
      return { head: plan.head, ...r, clip: Buffer.concat(chunks) };
    } finally {
      await plan.close();
    }
  }

  it('joins three segments without re-encoding from the keyframe at or before "from", time running on across the files, and hashes exactly what it sent', async () => {
    const started = performance.now();
    const r = await exportClip({ cameraId: 'cam-a', from: at(3.3), to: at(10.3) });
    const ms = performance.now() - started;

    expect(r.head.segments).toBe(3);
    expect(r.head.gaps).toEqual([]);
    expect(r.head.bytes).toBe(r.clip.length);
    expect(r.bytes).toBe(r.clip.length);
    expect(r.sha256).toBe(createHash('sha256').update(r.clip).digest('hex'));
    // Large exports hash on a worker thread: the same bytes, the same hash.
    const onWorker = await exportClip({ cameraId: 'cam-a', from: at(3.3), to: at(10.3) }, undefined, true);
    expect(onWorker.clip.equals(r.clip)).toBe(true);
    expect(onWorker.sha256).toBe(r.sha256);
    // Fragments come every ~0.5 s but keyframes every 2 s: the one at or before 3.3 s is at 2 s.
    expect(r.head.startsAt).toBe(at(2));
    const p = await probeBuffer(work, r.clip);
    expect(p.codec).toBe('h264');
    expect(p.decodeErrors).toBe('');
    expect(p.packets[0]?.key).toBe(true);
    expect(p.packets[0]?.dts).toBe(0);
    // The first frame shows at once (B-frames put it a frame or two after its decode time).
    expect(p.firstFrameS).toBeGreaterThanOrEqual(0);
    expect(p.firstFrameS).toBeLessThan(0.2);
    // 2 s to the end of the fragment holding 10.3 s (it ends by 10.52 s).
    expect(p.durationS).toBeGreaterThanOrEqual(10.3 - 2);
    expect(p.durationS).toBeLessThanOrEqual(10.6 - 2);
    expect(Math.abs(r.head.durationS - p.durationS)).toBeLessThan(0.05);
    expect(p.frames).toBe(p.packets.length);
    expect(p.frames).toBeGreaterThanOrEqual(Math.round(p.durationS * 25) - 1);
    // Across the seams at 4 s and 8 s (2 s and 6 s into the file) decode times step one frame.
    expect(jumps(p.packets)).toEqual([]);
    expect(p.packets.filter((k) => k.key).map((k) => k.dts)).toEqual([0, 2, 4, 6, 8].filter((t) => t < p.durationS));
    // It plays as it arrives: the track headers come first (no +faststart pass is needed for a fragmented file).
    expect(await decodeFromPipe(r.clip)).toEqual({ errors: '', frames: p.frames });
    console.info(`export: ${r.head.segments} segments, ${r.clip.length} bytes, ${r.head.durationS} s of video in ${ms.toFixed(0)} ms`);
  });

  it('gives the same file from the boxes themselves when a segment has no index at its end', async () => {
    const req = { from: at(3.3), to: at(10.3) };
    const indexed = await exportClip({ cameraId: 'cam-a', ...req });
    const scanned = await exportClip({ cameraId: 'cam-e', ...req });
    expect(scanned.head).toEqual(indexed.head);
    expect(scanned.sha256).toBe(indexed.sha256);
  });

  it('reports a hole inside the range and jumps over it in time', async () => {
    const r = await exportClip({ cameraId: 'cam-a', from: at(6), to: at(22) });
    expect(r.head.gaps).toEqual([{ from: at(12), to: at(20) }]);
    expect(r.head.segments).toBe(3);
    expect(r.head.startsAt).toBe(at(6));
    const p = await probeBuffer(work, r.clip);
    expect(p.decodeErrors).toBe('');
    // 6–12 s, then 20 s comes 14 s into the file: one jump of 8 s plus a frame.
    expect(jumps(p.packets)).toEqual([{ at: 14, step: 8.04 }]);
    expect(p.durationS).toBeGreaterThanOrEqual(16);
    expect(p.durationS).toBeLessThanOrEqual(16.6);
  });

  it('leaves out a fragment cut off by a crash, and a segment whose file is gone', async () => {
    const r = await exportClip({ cameraId: 'cam-d', from: at(0), to: at(8) });
    expect(r.head.bytes).toBe(r.clip.length);
    const p = await probeBuffer(work, r.clip);
    expect(p.decodeErrors).toBe('');
    expect(p.durationS).toBeGreaterThan(5);
    expect(p.durationS).toBeLessThan(7.5);

    const victim = placed.find((s) => s.cameraId === 'cam-b');
    if (!victim) throw new Error('fixture missing');
    await rm(segmentFile(root, victim));
    await expect(exportClip({ cameraId: 'cam-b', from: at(0), to: at(4) })).rejects.toMatchObject({ code: 'no-footage' });
  });

  it('refuses a range with no footage in a sentence, a reversed range, one longer than the maximum, and a change of picture size inside the range', async () => {
    await expect(exportClip({ cameraId: 'cam-a', from: at(13), to: at(19) })).rejects.toMatchObject({
      code: 'no-footage', message: 'No footage was recorded by Depot gate between 2026-03-01 10:00:13 UTC and 2026-03-01 10:00:19 UTC.',
    });
    await expect(exportClip({ cameraId: 'cam-a', from: at(10), to: at(5) })).rejects.toMatchObject({ code: 'bad-args', message: 'The export range must end after it starts.' });
    await expect(exportClip({ cameraId: 'cam-a', from: at(0), to: at(25 * 3600) })).rejects.toMatchObject({ code: 'too-long', message: expect.stringMatching(/^Exports are limited to 24 hours; this range is 25\.0 hours/) });
    await expect(exportClip({ cameraId: 'cam-a', from: at(0), to: at(3 * 3600) }, 2)).rejects.toMatchObject({ code: 'too-long' });
    await expect(exportClip({ cameraId: 'cam-c', from: at(1), to: at(11) })).rejects.toMatchObject({
      code: 'unsupported', message: expect.stringContaining(`The camera's video changed at 2026-03-01 10:00:08 UTC (avc1 320×240 before, avc1 160×120 after)`),
    });
    // Up to the change it exports.
    expect((await exportClip({ cameraId: 'cam-c', from: at(1), to: at(7) })).head.segments).toBe(2);
  });

  it('storage report: bytes, counts, oldest/newest and gaps match the files', async () => {
    const report = await storageReport(store, { now: T0 + 60_000, windowHours: 24 });
    const a = report.find((c) => c.cameraId === 'cam-a');
    const aSegs = placed.filter((s) => s.cameraId === 'cam-a');
    expect(a).toEqual({
      cameraId: 'cam-a', segments: 5, bytes: aSegs.reduce((n, s) => n + s.bytes, 0),
      oldest: at(0), newest: at(28), gaps: [{ from: at(12), to: at(20) }],
    });
    const sizes = await Promise.all(aSegs.map(async (s) => (await stat(segmentFile(root, s))).size));
    expect(a?.bytes).toBe(sizes.reduce((n, b) => n + b, 0));
    // A window that starts inside the hole reports the part of it in the window.
    const late = await storageReport(store, { now: T0 + 16_000 + 3_600_000, windowHours: 1 });
    expect(late.find((c) => c.cameraId === 'cam-a')?.gaps).toEqual([{ from: at(16), to: at(20) }]);
  });
});
