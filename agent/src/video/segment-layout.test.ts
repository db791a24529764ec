// The layout reader on segments made by a real ffmpeg with the recorder's own muxer options.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Segment } from '../cameras/types';
import { partsOf, readFileLayout } from './segment-layout';
import { SegmentLayouts } from './segment-layout-cache';
import { recorderSegments } from './segment-layout-test-helpers';

const run = promisify(execFile);
const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);

/** Every video packet's byte position, time and key flag, from ffprobe. */
async function packets(file: string): Promise<{ pos: number; pts: number; key: boolean }[]> {
  const { stdout } = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pos,pts_time,flags', '-of', 'csv=p=0', file]);
  return stdout.trim().split('\n').map((l) => {
    const [pts, pos, flags] = l.split(',');
    return { pts: Number(pts), pos: Number(pos), key: (flags ?? '').includes('K') };
  });
}

describe('segment layout', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sargs-layout-'));
    files = await recorderSegments(join(dir, 'made'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the init, the codec, the size and keyframe-aligned parts of a finished segment', async () => {
    const file = files[1]!;
    const layout = await readFileLayout(file);
    const bytes = readFileSync(file);
    expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
    expect(bytes.toString('latin1', layout.init.length + 4, layout.init.length + 8)).toBe('moof');
    const probe = JSON.parse((await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=profile,level,width,height', '-of', 'json', file])).stdout) as { streams: { profile: string; level: number; width: number; height: number }[] };
    const s = probe.streams[0]!;
    expect(s.profile).toBe('High');
    expect(layout.track.codec).toBe(`avc1.6400${s.level.toString(16).padStart(2, '0')}`);
    expect([layout.track.width, layout.track.height]).toEqual([s.width, s.height]);
    expect(layout.completeBytes).toBeLessThan(layout.fileBytes); // the mfra at the end is no fragment
    // frag_duration cuts a GOP into several fragments; only some start with a keyframe.
    expect(layout.fragments.length).toBeGreaterThan(4);
    expect(layout.fragments.filter((f) => f.keyframe)).toHaveLength(2);

    const parts = partsOf(layout, T0);
    expect(parts).toHaveLength(2);
    const pk = await packets(file);
    for (const [i, p] of parts.entries()) {
      const inside = pk.filter((k) => k.pos >= p.offset && k.pos < p.offset + p.length);
      expect(inside[0]?.key, `part ${i} starts with a keyframe`).toBe(true);
      expect(inside.filter((k) => k.key)).toHaveLength(1);
      expect(inside).toHaveLength(50);
      expect(p.durationS).toBeCloseTo(2, 6);
      expect(p.startMs).toBe(T0 + i * 2000);
      expect(p.start).toBe(new Date(T0 + i * 2000).toISOString());
      expect(p.keyLength).toBeLessThan(p.length);
    }
    // Contiguous: the parts cover every fragment from the init's end.
    expect(parts[0]!.offset).toBe(layout.init.length);
    expect(parts[1]!.offset).toBe(parts[0]!.offset + parts[0]!.length);
    expect(parts[1]!.offset + parts[1]!.length).toBe(layout.completeBytes);
  });

  it('a file cut off mid-fragment (being written, or killed) yields its complete fragments only', async () => {
    const whole = await readFileLayout(files[0]!);
    const cut = join(dir, 'cut.mp4');
    copyFileSync(files[0]!, cut);
    const last = whole.fragments[whole.fragments.length - 1]!;
    truncateSync(cut, last.offset + Math.floor(last.length / 2));
    const layout = await readFileLayout(cut);
    expect(layout.fragments).toEqual(whole.fragments.slice(0, -1));
    expect(layout.completeBytes).toBe(last.offset);
    const parts = partsOf(layout, T0);
    const wholeParts = partsOf(whole, T0);
    expect(parts[0]).toEqual(wholeParts[0]);
    expect(parts[1]!.length).toBe(wholeParts[1]!.length - last.length);

    // Only the header written yet: no parts, no error.
    truncateSync(cut, whole.init.length + 5);
    expect((await readFileLayout(cut)).fragments).toEqual([]);
    writeFileSync(cut, 'not an mp4 at all');
    await expect(readFileLayout(cut)).rejects.toThrow(/moov/);
  });

  it('serves indexed segments and the one being written, and refuses any other path', async () => {
    const root = join(dir, 'root');
    const cam = 'cam-1';
    const segs: Segment[] = [];
    const place = (src: string, startMs: number, seconds: number, index: boolean) => {
      const stamp = new Date(startMs).toISOString();
      const path = `${cam}/${stamp.slice(0, 10)}/${stamp.slice(0, 19).replace(/[-:]/g, '')}Z.mp4`;
      mkdirSync(join(root, cam, stamp.slice(0, 10)), { recursive: true });
      copyFileSync(src, join(root, path));
      const seg = { cameraId: cam, path, bytes: readFileSync(src).length, start: new Date(startMs).toISOString(), end: new Date(startMs + seconds * 1000).toISOString() };
      if (index) segs.push(seg);
      return seg;
    };
    const now = Date.now();
    const t = now - 60_000;
    place(files[0]!, t, 4, true);
    place(files[1]!, t + 4000, 4, true);
    const writing = place(files[2]!, t + 8000, 4, false);
    truncateSync(join(root, writing.path), (await readFileLayout(files[2]!)).fragments[5]!.offset + 100);
    let recording = true;
    const layouts = new SegmentLayouts({
      root, log: pino({ level: 'silent' }), recording: () => recording,
      index: { list: async (id, from, to) => segs.filter((s) => s.cameraId === id && s.end > from && s.start < to) },
    });

    const all = await layouts.layouts(cam, t - 1000, now);
    expect(all.map((l) => l.path)).toEqual([segs[0]!.path, segs[1]!.path, writing.path]);
    const w = all[2]!;
    expect(w.start).toBe(segs[1]!.end); // the recorder starts a segment where the last one ended
    expect(w.parts).toHaveLength(2); // the second GOP has its keyframe fragment and some more
    expect(w.bytes).toBe(w.parts[1]!.offset + w.parts[1]!.length);
    expect(Date.parse(w.end)).toBeLessThan(Date.parse(w.start) + 4000);
    expect(all[0]!.parts.map((p) => p.start)).toEqual([new Date(t).toISOString(), new Date(t + 2000).toISOString()]);

    expect(await layouts.resolve(cam, segs[0]!.path)).toMatchObject({ writing: false });
    expect(await layouts.resolve(cam, writing.path)).toMatchObject({ writing: true });
    for (const bad of [`${cam}/../${cam}/x.mp4`, `../etc/passwd`, `other/${segs[0]!.path.slice(cam.length + 1)}`, `${cam}/2020-01-01/20200101T000000Z.mp4`, segs[0]!.path.replace('.mp4', '.MP4')]) {
      expect(await layouts.resolve(cam, bad), bad).toBeUndefined();
    }
    // Once the recorder stops, the unfinished file is no longer offered.
    recording = false;
    expect((await layouts.layouts(cam, t - 1000, now)).map((l) => l.path)).toEqual([segs[0]!.path, segs[1]!.path]);

    // The keyframe at or before a moment; nothing in a gap.
    const at = await layouts.partAt(cam, t + 5500);
    expect(at?.part.start).toBe(new Date(t + 4000).toISOString());
    expect(await layouts.partAt(cam, t - 10_000)).toBeUndefined();
  });
});
