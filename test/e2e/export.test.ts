// Export of recorded footage and the storage report, on real fragmented-MP4 segments and a real LevelDB.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExportError, exportRange } from '@sargs/agent/cameras/export';
import { segmentFile } from '@sargs/agent/cameras/segment-store';
import { storageReport } from '@sargs/agent/cameras/storage-report';
import type { Segment } from '@sargs/agent/cameras/types';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/paths';
import { encodeSegments, ffmpeg, ffprobe, LevelSegmentStore, placeSegment } from '../support/segment-fixtures';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void { this.chunks.push(chunk); done(); }
  get bytes(): Buffer { return Buffer.concat(this.chunks); }
}

interface Probed { durationS: number; codec: string; frames: number; decodeErrors: string }

async function probe(work: string, clip: Buffer): Promise<Probed> {
  const file = join(work, `probe-${createHash('md5').update(clip).digest('hex')}.mp4`);
  await writeFile(file, clip);
  const info = JSON.parse(await ffprobe(['-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_frames:format=duration', '-of', 'json', file])) as {
    streams: Array<{ codec_name: string; nb_read_frames: string }>; format: { duration: string };
  };
  const decodeErrors = await ffmpeg(['-v', 'error', '-i', file, '-f', 'null', '-']);
  await rm(file);
  return { durationS: Number(info.format.duration), codec: info.streams[0]?.codec_name ?? '', frames: Number(info.streams[0]?.nb_read_frames), decodeErrors };
}

describe('export and storage report', () => {
  const dir = tempDir('export');
  const root = join(dir.path, 'recordings');
  const tmp = join(dir.path, 'tmp');
  const work = join(dir.path, 'work');
  let db: Level<string, unknown>;
  let store: LevelSegmentStore;
  const placed: Segment[] = [];

  beforeAll(async () => {
    db = new Level<string, unknown>(join(dir.path, 'agent.db'), { valueEncoding: 'json' });
    await db.open();
    store = new LevelSegmentStore(db);
    const files = await encodeSegments(join(dir.path, 'clip'), { segments: 5 });
    // cam-a: 0–12 s in three segments, nothing 12–20 s, then 20–28 s.
    const starts = [0, 4, 8, 20, 24];
    for (const [i, s] of starts.entries()) placed.push(await placeSegment(root, store, 'cam-a', T0 + s * 1000, files[i] ?? ''));
    placed.push(await placeSegment(root, store, 'cam-b', T0, files[0] ?? ''));
    await Promise.all([tmp, work].map((d) => mkdir(d, { recursive: true })));
  });
  afterAll(async () => {
    await db?.close();
    dir.remove();
  });

  const deps = () => ({ store, root, tmpDir: tmp });

  it('joins three segments without re-encoding, cut at keyframes, and hashes exactly what it streamed', async () => {
    const out = new Collector();
    const started = performance.now();
    const r = await exportRange({ cameraId: 'cam-a', from: at(2.5), to: at(10.5) }, out, deps());
    const ms = performance.now() - started;
    const clip = out.bytes;

    expect(r.segments).toBe(3);
    expect(r.gaps).toEqual([]);
    expect(r.bytes).toBe(clip.length);
    expect(r.sha256).toBe(createHash('sha256').update(clip).digest('hex'));
    expect(out.writableFinished).toBe(true);
    // The keyframe at or before 2.5 s is the one at 2 s.
    expect(r.startsAt).toBe(at(2));
    const p = await probe(work, clip);
    expect(p.codec).toBe('h264');
    expect(p.decodeErrors).toBe('');
    expect(p.durationS).toBeGreaterThanOrEqual(8 - 0.1);
    expect(p.durationS).toBeLessThanOrEqual(8 + 2);
    expect(Math.abs(r.durationS - p.durationS)).toBeLessThan(0.1);
    expect(p.frames).toBeGreaterThanOrEqual(Math.floor(p.durationS * 25) - 2);
    expect(await readdir(tmp)).toEqual([]); // the temporary clip is gone
    console.info(`export: ${r.segments} segments, ${clip.length} bytes, ${r.durationS.toFixed(2)} s of video in ${ms.toFixed(0)} ms`);
  });

  it('reports a hole inside the range and plays across it', async () => {
    const out = new Collector();
    const r = await exportRange({ cameraId: 'cam-a', from: at(6), to: at(22) }, out, deps());
    expect(r.gaps).toEqual([{ from: at(12), to: at(20) }]);
    expect(r.segments).toBe(3);
    const p = await probe(work, out.bytes);
    expect(p.decodeErrors).toBe('');
    // 6–12 s and 20–22 s of footage.
    expect(p.durationS).toBeGreaterThanOrEqual(8 - 0.1);
    expect(p.durationS).toBeLessThanOrEqual(8 + 2);
  });

  it('treats a segment whose file is gone as a gap', async () => {
    const victim = placed.find((s) => s.cameraId === 'cam-b');
    if (!victim) throw new Error('fixture missing');
    await rm(segmentFile(root, victim));
    await expect(exportRange({ cameraId: 'cam-b', from: at(0), to: at(4) }, new Collector(), deps()))
      .rejects.toMatchObject({ code: 'no-footage' });
  });

  it('refuses a range with no footage, a reversed range and one longer than the maximum', async () => {
    const none = exportRange({ cameraId: 'cam-a', from: at(13), to: at(19) }, new Collector(), deps());
    await expect(none).rejects.toBeInstanceOf(ExportError);
    await expect(none).rejects.toMatchObject({ code: 'no-footage', message: expect.stringContaining('no footage of camera cam-a') });
    await expect(exportRange({ cameraId: 'cam-a', from: at(10), to: at(5) }, new Collector(), deps())).rejects.toMatchObject({ code: 'bad-range' });
    await expect(exportRange({ cameraId: 'cam-a', from: at(0), to: at(25 * 3600) }, new Collector(), deps())).rejects.toMatchObject({ code: 'too-long' });
    await expect(exportRange({ cameraId: 'cam-a', from: at(0), to: at(3 * 3600) }, new Collector(), { ...deps(), maxHours: 2 })).rejects.toMatchObject({ code: 'too-long' });
    expect(await readdir(tmp)).toEqual([]);
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
