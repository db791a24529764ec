// Retention by age with an injected clock, legal holds, and the sweeper's loop (pressure, reload, stop).
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DiskSpace } from '@sargs/agent/cameras/disk-space';
import { LegalHoldError, LegalHolds } from '@sargs/agent/cameras/legal-holds';
import { RetentionPolicyError, RetentionSweeper, type RetentionPolicy, type SweepReport } from '@sargs/agent/cameras/retention';
import { segmentFile } from '@sargs/agent/cameras/segment-store';
import type { Segment } from '@sargs/agent/cameras/types';
import { Level } from 'level';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { capturedLogger } from '../support/log-capture';
import { tempDir } from '../support/paths';
import { encodeSegments, LevelSegmentStore, placeSegment } from '../support/segment-fixtures';

const HOUR = 3_600_000;
const T = Date.parse('2026-03-10T12:00:00.000Z');
const plentyOfSpace: DiskSpace = { usage: () => Promise.resolve({ totalBytes: 1e12, freeBytes: 9e11 }) };

describe('retention sweeper', () => {
  const dir = tempDir('retention');
  let clip = '';
  let n = 0;
  let db: Level<string, unknown>;
  let store: LevelSegmentStore;
  let holds: LegalHolds;
  let root: string;
  let now = T;
  const clock = { now: () => now };
  const sweepers: RetentionSweeper[] = [];

  beforeAll(async () => {
    [clip = ''] = await encodeSegments(join(dir.path, 'clip'), { segments: 1 });
  });
  beforeEach(async () => {
    const run = join(dir.path, `run${n++}`);
    root = join(run, 'recordings');
    db = new Level<string, unknown>(join(run, 'agent.db'), { valueEncoding: 'json' });
    await db.open();
    store = new LevelSegmentStore(db);
    holds = await LegalHolds.open(db, clock);
    now = T;
  });
  afterEach(async () => {
    await Promise.all(sweepers.splice(0).map((s) => s.stop()));
    await db.close();
  });
  afterAll(() => dir.remove());

  const sweeper = (policy: RetentionPolicy, diskSpace = plentyOfSpace) => {
    const s = new RetentionSweeper({ store, holds, root, policy, clock, diskSpace, log: capturedLogger('retention').logger });
    sweepers.push(s);
    return s;
  };
  const place = (cameraId: string, ageH: number) => placeSegment(root, store, cameraId, T - ageH * HOUR, clip);
  const starts = (segs: Segment[]) => segs.map((s) => `${s.cameraId}@${(T - Date.parse(s.start)) / HOUR}h`);

  it('deletes what is older than each camera\'s maximum age, oldest first, and keeps held and newer footage', async () => {
    const lonely = await place('cam-a', 100); // alone in its day folder
    const held = await place('cam-a', 80);
    const missing = await place('cam-a', 75);
    await place('cam-a', 73);
    const straddling = await placeSegment(root, store, 'cam-a', T - 72 * HOUR - 2000, clip); // ends after the cut-off
    await place('cam-a', 71);
    await place('cam-a', 1);
    await place('cam-b', 30);
    await place('cam-b', 25);
    await place('cam-b', 23);
    await holds.add({ cameraId: 'cam-a', from: new Date(T - 80 * HOUR + 1000).toISOString(), to: new Date(T - 79 * HOUR).toISOString(), reason: 'incident 42', by: 'alice' });
    await holds.add({ cameraId: 'cam-b', from: new Date(T - 74 * HOUR).toISOString(), to: new Date(T - 72 * HOUR).toISOString(), reason: 'other camera', by: 'alice' });
    await rm(segmentFile(root, missing)); // deleted behind the index's back: still forgotten

    const s = sweeper({ cameras: { 'cam-b': { maxAgeHours: 24 } } });
    const deletedEvents: string[] = [];
    s.on('deleted', (seg, reason) => deletedEvents.push(`${seg.cameraId}@${(T - Date.parse(seg.start)) / HOUR}h:${reason}`));
    const r = await s.sweepOnce();

    expect(starts(r.deleted)).toEqual(['cam-a@100h', 'cam-a@75h', 'cam-a@73h', 'cam-b@30h', 'cam-b@25h']);
    expect(deletedEvents).toEqual(['cam-a@100h:age', 'cam-a@75h:age', 'cam-a@73h:age', 'cam-b@30h:age', 'cam-b@25h:age']);
    expect(r.held).toBe(1);
    expect(r.diskLow).toBe(false);
    const left = await store.all();
    expect(starts(left).sort()).toEqual(starts([held, straddling]).concat(['cam-a@71h', 'cam-a@1h', 'cam-b@23h']).sort());
    for (const seg of left) expect(existsSync(segmentFile(root, seg))).toBe(true);
    for (const seg of r.deleted) expect(existsSync(segmentFile(root, seg))).toBe(false);
    expect(existsSync(dirname(segmentFile(root, lonely)))).toBe(false); // its empty day folder went too

    // Time passes: the held segment stays while the hold lasts, and goes once it is released.
    now = T + 2 * HOUR;
    expect(starts((await s.sweepOnce()).deleted)).toEqual([...starts([straddling]), 'cam-a@71h', 'cam-b@23h']);
    const [hold] = holds.list('cam-a');
    await holds.release(hold?.id ?? '');
    expect(starts((await s.sweepOnce()).deleted)).toEqual(['cam-a@80h']);
  });

  it('holds persist in LevelDB and match only overlapping footage of their own camera', async () => {
    const h = await holds.add({ cameraId: 'cam-a', from: '2026-03-01T10:00:00Z', to: '2026-03-01T11:00:00Z', reason: 'theft', by: 'bob' });
    expect(h).toMatchObject({ cameraId: 'cam-a', from: '2026-03-01T10:00:00.000Z', reason: 'theft', by: 'bob', createdAt: new Date(T).toISOString() });
    const again = await LegalHolds.open(db, clock);
    expect(again.list()).toEqual([h]);
    const seg = (start: string, end: string, cameraId = 'cam-a') => ({ cameraId, start, end });
    expect(again.covers(seg('2026-03-01T09:59:58.000Z', '2026-03-01T10:00:00.001Z'))).toBe(true);
    expect(again.covers(seg('2026-03-01T09:59:58.000Z', '2026-03-01T10:00:00.000Z'))).toBe(false);
    expect(again.covers(seg('2026-03-01T10:30:00.000Z', '2026-03-01T10:30:04.000Z', 'cam-b'))).toBe(false);
    await expect(holds.add({ cameraId: 'cam-a', from: '2026-03-01T11:00:00Z', to: '2026-03-01T10:00:00Z', reason: 'x', by: 'bob' })).rejects.toBeInstanceOf(LegalHoldError);
    await expect(holds.add({ cameraId: 'cam-a', from: '2026-03-01T10:00:00Z', to: '2026-03-01T11:00:00Z', reason: ' ', by: 'bob' })).rejects.toBeInstanceOf(LegalHoldError);
    expect(await again.release(h.id)).toEqual(h);
    expect(await again.release(h.id)).toBeUndefined();
    expect((await LegalHolds.open(db, clock)).list()).toEqual([]);
  });

  it('rejects a policy beyond 72 h without a recorded purpose, and other bad values, naming the key', () => {
    expect(() => sweeper({ maxAgeHours: 96 })).toThrow(/maxAgeHours above 72 needs a recorded purpose/);
    expect(() => sweeper({ cameras: { gate: { maxAgeHours: 240 } } })).toThrow(/cameras\.gate\.maxAgeHours/);
    expect(() => sweeper({ maxAgeHours: -1 })).toThrow(RetentionPolicyError);
    expect(() => sweeper({ minFreePercent: 100 })).toThrow(/minFreePercent/);
    const s = sweeper({ cameras: { gate: { maxAgeHours: 240, purpose: 'insurance claim window' } } });
    expect(() => s.reload({ intervalMs: 0 })).toThrow(/intervalMs/);
  });

  it('loop: sweeps at start, again at once on pressure() and reload(), and stop() ends it', async () => {
    await place('cam-a', 1);
    const s = sweeper({ intervalMs: 60_000 });
    const next = () => once(s, 'swept') as Promise<[SweepReport]>;

    let swept = next();
    s.start();
    expect((await swept)[0].deleted).toEqual([]);

    await place('cam-a', 90);
    swept = next();
    s.pressure();
    expect(starts((await swept)[0].deleted)).toEqual(['cam-a@90h']);

    swept = next();
    s.reload({ maxAgeHours: 0.5 });
    expect(starts((await swept)[0].deleted)).toEqual(['cam-a@1h']);

    await s.stop();
    await place('cam-a', 90);
    let late = false;
    s.once('swept', () => { late = true; });
    s.pressure(); // nothing listens any more
    await s.stop(); // idempotent
    expect(late).toBe(false);
    expect((await store.all()).length).toBe(1);
  });

  it('under disk pressure deletes the oldest of all cameras, skips held and recent footage, and says when the floor cannot be met', async () => {
    for (const h of [10, 9, 8]) { await place('cam-a', h); await place('cam-b', h - 0.5); }
    const recent = await placeSegment(root, store, 'cam-a', T - 60_000, clip);
    await holds.add({ cameraId: 'cam-a', from: new Date(T - 10 * HOUR).toISOString(), to: new Date(T - 10 * HOUR + 1000).toISOString(), reason: 'claim', by: 'carol' });
    // A fake disk whose free space grows by what is deleted.
    let free = 0;
    const disk: DiskSpace = { usage: () => Promise.resolve({ totalBytes: 1000 * recent.bytes, freeBytes: free }) };
    const s = sweeper({ minFreeBytes: 3 * recent.bytes }, disk);
    s.on('deleted', (seg) => { free += seg.bytes; });
    const lows: number[] = [];
    s.on('disk-low', (f) => lows.push(f.freeBytes));

    const r = await s.sweepOnce();
    expect(starts(r.deleted)).toEqual(['cam-b@9.5h', 'cam-a@9h', 'cam-b@8.5h']);
    expect(r.deleted.every((d) => d.reason === 'floor')).toBe(true);
    expect(r).toMatchObject({ held: 1, diskLow: false, freeBytes: 3 * recent.bytes });

    s.reload({ minFreeBytes: 100 * recent.bytes });
    const r2 = await s.sweepOnce();
    expect(starts(r2.deleted)).toEqual(['cam-a@8h', 'cam-b@7.5h']);
    expect(r2.diskLow).toBe(true);
    expect(lows).toEqual([5 * recent.bytes]);
    expect(starts(await store.all())).toEqual(['cam-a@10h', ...starts([recent])]);
    await s.sweepOnce();
    expect(lows.length).toBe(1); // reported once, not every sweep
  });
});
