// Retention's free-space floor on a real, small filesystem: a 64 MiB ext4 image, loop-mounted (needs root).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nodeDiskSpace } from '@sargs/agent/cameras/disk-space';
import { LegalHolds } from '@sargs/agent/cameras/legal-holds';
import { RetentionSweeper } from '@sargs/agent/cameras/retention';
import { segmentFile } from '@sargs/agent/cameras/segment-store';
import type { Segment } from '@sargs/agent/cameras/types';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../support/log-capture';
import { tempDir } from '../support/paths';
import { encodeSegments, LevelSegmentStore, placeSegment } from '../support/segment-fixtures';

const sh = promisify(execFile);
const MKFS = '/usr/sbin/mkfs.ext4';
const MiB = 1024 * 1024;
const T = Date.parse('2026-03-10T12:00:00.000Z');
const cannot = process.getuid?.() !== 0 ? 'needs root to loop-mount a filesystem'
  : !existsSync(MKFS) ? `needs ${MKFS} (e2fsprogs)` : undefined;
if (cannot) console.warn(`retention-disk tests skipped: ${cannot}`);

describe.skipIf(cannot !== undefined)('retention floor on a 64 MiB ext4 filesystem', () => {
  const dir = tempDir('retention-disk');
  const image = join(dir.path, 'disk.img');
  const mnt = join(dir.path, 'mnt');
  let mounted = false;
  let mountError = '';
  let db: Level<string, unknown>;
  let store: LevelSegmentStore;
  let holds: LegalHolds;
  const now = T;
  const clock = { now: () => now };
  const placed: Segment[] = [];

  beforeAll(async () => {
    db = new Level<string, unknown>(join(dir.path, 'agent.db'), { valueEncoding: 'json' });
    await db.open();
    store = new LevelSegmentStore(db);
    holds = await LegalHolds.open(db, clock);
    await mkdir(mnt);
    await sh('truncate', ['-s', '64M', image]);
    await sh(MKFS, ['-q', '-F', image]);
    try {
      await sh('mount', ['-o', 'loop', image, mnt]);
      mounted = true;
    } catch (err) {
      mountError = (err as Error).message;
      return;
    }
    // Four ~2 MB segments (640x360 at a constant 4 Mbit/s), copied in as two cameras' footage.
    const clips = await encodeSegments(join(dir.path, 'clip'), { segments: 4, size: '640x360', kbps: 4000 });
    for (let i = 0; i < 11; i++) {
      for (const [j, cam] of ['cam-a', 'cam-b'].entries()) {
        placed.push(await placeSegment(mnt, store, cam, T - 2 * 3_600_000 + (2 * i + j) * 4000, clips[(2 * i + j) % clips.length] ?? ''));
      }
    }
  });

  afterAll(async () => {
    await db?.close();
    if (mounted) await sh('umount', [mnt]).catch((err: Error) => console.error(`umount ${mnt} failed: ${err.message}`));
    // mount -o loop sets autoclear, but a failed umount or an older mount(8) can leave the device attached.
    const { stdout } = await sh('losetup', ['-j', image]).catch(() => ({ stdout: '' }));
    for (const dev of stdout.split('\n').map((l) => l.split(':')[0]?.trim()).filter((d): d is string => !!d)) {
      await sh('losetup', ['-d', dev]).catch(() => undefined);
    }
    dir.remove();
  });

  it('deletes the oldest unheld segments until free space is back above the floor, then reports when it cannot be met', async (ctx) => {
    ctx.skip(!mounted, `loop mount failed: ${mountError}`);
    const before = await nodeDiskSpace.usage(mnt);
    const floor = 24 * MiB;
    expect(before.freeBytes).toBeLessThan(floor); // the fixture really filled the disk
    const [a0, , a1] = placed; // the globally oldest cam-a segments (order: a0 b0 a1 b1 …)
    if (!a0 || !a1) throw new Error('fixture missing');
    await holds.add({ cameraId: 'cam-a', from: a0.start, to: a1.end, reason: 'incident 7', by: 'dana' });
    const log = capturedLogger('retention');
    const sweeper = new RetentionSweeper({ store, holds, root: mnt, clock, diskSpace: nodeDiskSpace, log: log.logger, policy: { minFreeBytes: floor } });

    const r = await sweeper.sweepOnce();
    const after = await nodeDiskSpace.usage(mnt);
    expect(after.freeBytes).toBeGreaterThanOrEqual(floor);
    expect(r).toMatchObject({ diskLow: false, floorBytes: floor, held: 2 });
    const unheld = placed.filter((s) => s !== a0 && s !== a1);
    expect(r.deleted.map((s) => s.start + s.cameraId)).toEqual(unheld.slice(0, r.deleted.length).map((s) => s.start + s.cameraId));
    // No more than needed: one segment fewer would have left the disk below the floor.
    const last = r.deleted[r.deleted.length - 1];
    expect(after.freeBytes - (last?.bytes ?? 0)).toBeLessThan(floor);
    for (const s of placed) expect(existsSync(segmentFile(mnt, s))).toBe(!r.deleted.some((d) => d.start === s.start && d.cameraId === s.cameraId));
    console.info(`floor sweep: free ${(before.freeBytes / MiB).toFixed(1)} → ${(after.freeBytes / MiB).toFixed(1)} MiB, deleted ${r.deleted.length} segments (${(r.freedBytes / MiB).toFixed(1)} MiB)`);

    // A floor above what can ever be freed: everything unheld goes, the held footage stays, and it says so.
    const lows: Array<{ freeBytes: number; floorBytes: number }> = [];
    sweeper.on('disk-low', (f) => lows.push(f));
    sweeper.reload({ minFreePercent: 99 });
    const r2 = await sweeper.sweepOnce();
    expect(r2.diskLow).toBe(true);
    expect(lows).toHaveLength(1);
    expect(lows[0]?.freeBytes).toBe((await nodeDiskSpace.usage(mnt)).freeBytes);
    expect((await store.all()).map((s) => s.start)).toEqual([a0.start, a1.start]);
    expect(existsSync(segmentFile(mnt, a0)) && existsSync(segmentFile(mnt, a1))).toBe(true);
    expect(log.lines.some((l) => l.msg === 'disk below its free-space floor and nothing more may be deleted')).toBe(true);
  });
});
