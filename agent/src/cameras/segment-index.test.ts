import { Level } from 'level';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentIndex } from './segment-index';
import type { Segment } from './types';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const seg = (cameraId: string, from: number, to: number, bytes = 100): Segment =>
  ({ cameraId, start: iso(from), end: iso(to), bytes, path: `${cameraId}/2026-01-01/${from}.mp4` });

describe('segment index on LevelDB', () => {
  const dirs: string[] = [];
  const open = async () => {
    const d = mkdtempSync(join(tmpdir(), 'sargs-segidx-'));
    dirs.push(d);
    const db = new Level<string, unknown>(d, { valueEncoding: 'json' });
    await db.open();
    return { db, index: new SegmentIndex(db) };
  };
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('lists segments overlapping a window, per camera, oldest first', async () => {
    const { db, index } = await open();
    for (const s of [seg('a', 0, 60), seg('a', 60, 120), seg('a', 120, 180), seg('a-b', 0, 60), seg('b', 30, 90)]) await index.add(s);
    expect((await index.list('a', iso(59), iso(121))).map((s) => s.start)).toEqual([iso(0), iso(60), iso(120)]);
    expect((await index.list('a', iso(60), iso(120))).map((s) => s.start)).toEqual([iso(60)]);
    expect(await index.list('a', iso(200), iso(300))).toEqual([]);
    expect(await index.cameras()).toEqual(['a', 'a-b', 'b']);
    await index.remove('a', iso(60));
    await index.remove('a', iso(999)); // absent: no error
    expect((await index.all('a')).map((s) => s.start)).toEqual([iso(0), iso(120)]);
    await db.close();
  });

  it('walks all cameras oldest first with a cursor, for retention', async () => {
    const { db, index } = await open();
    for (const s of [seg('b', 0, 60), seg('a', 0, 60), seg('a', 60, 120), seg('c', 30, 90)]) await index.add(s);
    const first = await index.listOldest(2);
    expect(first.map((s) => `${s.cameraId}@${s.start}`)).toEqual([`a@${iso(0)}`, `b@${iso(0)}`]);
    const rest = await index.listOldest(10, first[1]);
    expect(rest.map((s) => `${s.cameraId}@${s.start}`)).toEqual([`c@${iso(30)}`, `a@${iso(60)}`]);
    await db.close();
  });

  it('merges seams into ranges and reports the gaps and totals', async () => {
    const { db, index } = await open();
    // A 40 ms seam (merged), then a 10 s outage (a gap), then a segment that runs past the window.
    for (const s of [seg('a', 0, 5), seg('a', 5.04, 10), seg('a', 20, 25, 50), seg('a', 25, 40, 70)]) await index.add(s);
    const r = await index.ranges('a', iso(0), iso(30));
    expect(r.ranges).toEqual([{ start: iso(0), end: iso(10) }, { start: iso(20), end: iso(30) }]);
    expect(r.gaps).toEqual([{ from: iso(10), to: iso(20) }]);
    expect(r.totals).toEqual({ segments: 4, bytes: 320, oldest: iso(0), newest: iso(40) });
    expect((await index.ranges('a', iso(0), iso(30), 20_000)).ranges).toEqual([{ start: iso(0), end: iso(30) }]);
    await expect(index.add({ ...seg('a', 50, 40) })).rejects.toThrow(/ends before/);
    await expect(index.add({ ...seg('../x', 50, 60) })).rejects.toThrow(/camera id/);
    await db.close();
  });
});
