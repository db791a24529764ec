import { EventEmitter } from 'node:events';
import { rmdir, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { DiskSpace } from './disk-space';
import type { HoldChecker } from './legal-holds';
import { EPOCH_ISO, segmentFile, type SegmentKey, type SegmentStore } from './segment-store';
import type { Clock, Segment } from './types';
import { Waker } from '../util/waker';

/** EDPB Guidelines 3/2019 ¶121: beyond 72 h the controller must justify keeping footage. */
export const DEFAULT_MAX_AGE_HOURS = 72;
const HOUR_MS = 3_600_000;
/** Segments fetched per step while freeing space. */
const FLOOR_BATCH = 64;

export interface CameraRetention {
  maxAgeHours?: number;
  /** Required when maxAgeHours exceeds 72: the recorded reason for keeping footage longer. */
  purpose?: string;
}

export interface RetentionPolicy extends CameraRetention {
  /** Overrides of the site default, by camera id. */
  cameras?: Record<string, CameraRetention>;
  /** Free-space floor of the recordings filesystem; when both are set the larger wins. Default 5 %. */
  minFreeBytes?: number;
  minFreePercent?: number;
  /** The floor never deletes footage that ended less than this long ago (default 5): an incident may be unfolding. */
  protectRecentMinutes?: number;
  /** Time between sweeps (default 60 s). */
  intervalMs?: number;
}

export type DeleteReason = 'age' | 'floor';

export interface SweepReport {
  at: string;
  deleted: Array<Segment & { reason: DeleteReason }>;
  freedBytes: number;
  /** Segments retention would have deleted but a legal hold kept. */
  held: number;
  /** Segments that could not be deleted (the error is logged). */
  failed: number;
  freeBytes: number;
  floorBytes: number;
  /** The floor is not met and nothing more may be deleted: everything left is held or too new. */
  diskLow: boolean;
}

export interface RetentionEvents {
  deleted: [Segment, DeleteReason];
  swept: [SweepReport];
  /** Sent when the floor first cannot be met, and `disk-ok` when it is met again, so alerts are not repeated every sweep. */
  'disk-low': [{ freeBytes: number; floorBytes: number }];
  'disk-ok': [{ freeBytes: number; floorBytes: number }];
}

export interface RetentionDeps {
  store: SegmentStore;
  holds: HoldChecker;
  /** Recordings root: segment paths are relative to it, and its filesystem is the one kept above the floor. */
  root: string;
  policy: RetentionPolicy;
  clock: Clock;
  log: Logger;
  diskSpace: DiskSpace;
}

export class RetentionPolicyError extends Error {}

type Settings = RetentionPolicy & { intervalMs: number; protectRecentMinutes: number };

/**
 * Deletes recordings by age (per camera) and, while the disk is below its floor, the oldest
 * of all cameras; footage under a legal hold is never touched. One loop: a sweep, then a wait
 * for the interval, `pressure()`, `reload()` or `stop()`.
 */
export class RetentionSweeper extends EventEmitter<RetentionEvents> {
  private policy: Settings;
  get currentPolicy(): RetentionPolicy { return this.policy; }
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly waker = new Waker();
  private pending = false;
  private sweeping: Promise<unknown> = Promise.resolve();
  private low = false;

  constructor(private readonly deps: RetentionDeps) {
    super();
    this.policy = normalise(deps.policy);
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Resolves once the loop has ended (after the sweep in progress, if any, has finished its current file). */
  async stop(): Promise<void> {
    this.abort.abort();
    this.waker.wake();
    await this.loop;
    this.loop = undefined;
    this.abort = new AbortController(); // so sweepOnce() still works on a stopped sweeper
  }

  /** Takes a new policy (throws, keeping the old one, if it is invalid) and sweeps with it at once. */
  reload(policy: RetentionPolicy): void {
    this.policy = normalise(policy);
    this.deps.log.info({ policy: this.policy }, 'retention policy changed');
    this.poke();
  }

  /** Disk space is short (the recorder just finished a segment on a nearly full disk): sweep now. */
  pressure(): void {
    this.poke();
  }

  /**
   * Called when a segment is finished: one statfs, and a sweep at once only when free space
   * is within 10 % of the floor, so a healthy disk costs no sweep per segment.
   */
  async segmentWritten(): Promise<void> {
    const usage = await this.deps.diskSpace.usage(this.deps.root);
    if (this.low || usage.freeBytes < this.floorBytes(usage.totalBytes) * 1.1) this.poke();
  }

  /** One sweep; concurrent calls run one after another. */
  sweepOnce(): Promise<SweepReport> {
    const run = this.sweeping.then(() => this.sweep(this.abort.signal));
    this.sweeping = run.catch(() => undefined);
    return run;
  }

  private poke(): void {
    this.pending = true;
    this.waker.wake();
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.pending = false;
      try {
        await this.sweepOnce();
      } catch (err) {
        this.deps.log.error({ err }, 'retention sweep failed');
      }
      if (signal.aborted || this.pending) continue;
      await this.waker.sleep(this.policy.intervalMs, signal);
    }
  }

  private async sweep(signal: AbortSignal): Promise<SweepReport> {
    const { store, clock, diskSpace, root } = this.deps;
    const now = clock.now();
    const report: SweepReport = { at: new Date(now).toISOString(), deleted: [], freedBytes: 0, held: 0, failed: 0, freeBytes: 0, floorBytes: 0, diskLow: false };

    for (const cameraId of await store.cameras()) {
      const cutoff = now - this.maxAgeHours(cameraId) * HOUR_MS;
      const old = (await store.list(cameraId, EPOCH_ISO, new Date(cutoff).toISOString())).filter((s) => Date.parse(s.end) <= cutoff);
      for (const seg of old) {
        if (signal.aborted) return report;
        await this.consider(seg, 'age', report);
      }
    }

    let usage = await diskSpace.usage(root);
    const floor = this.floorBytes(usage.totalBytes);
    const recentFrom = now - this.policy.protectRecentMinutes * 60_000;
    let after: SegmentKey | undefined;
    let exhausted = false;
    walk: while (usage.freeBytes < floor && !signal.aborted) {
      const batch = await store.listOldest(FLOOR_BATCH, after);
      if (batch.length === 0) { exhausted = true; break; }
      for (const seg of batch) {
        after = seg;
        if (Date.parse(seg.start) >= recentFrom) { exhausted = true; break walk; } // ordered by start: the rest is newer still
        if (Date.parse(seg.end) > recentFrom) continue;
        if (await this.consider(seg, 'floor', report)) usage = await diskSpace.usage(root);
        if (usage.freeBytes >= floor || signal.aborted) break walk;
      }
    }

    report.freeBytes = usage.freeBytes;
    report.floorBytes = floor;
    report.diskLow = usage.freeBytes < floor && exhausted;
    this.noteDisk(report);
    if (report.deleted.length) {
      this.deps.log.info({ deleted: report.deleted.length, freedBytes: report.freedBytes, held: report.held, freeBytes: usage.freeBytes }, 'retention deleted recordings');
    }
    this.emit('swept', report);
    return report;
  }

  /** Deletes the segment unless a hold keeps it; true if it is gone. */
  private async consider(seg: Segment, reason: DeleteReason, report: SweepReport): Promise<boolean> {
    if (this.deps.holds.covers(seg)) {
      report.held++;
      return false;
    }
    try {
      await this.remove(seg);
    } catch (err) {
      report.failed++;
      this.deps.log.error({ err, cameraId: seg.cameraId, start: seg.start, path: seg.path }, 'could not delete recording');
      return false;
    }
    report.deleted.push({ ...seg, reason });
    report.freedBytes += seg.bytes;
    this.emit('deleted', seg, reason);
    return true;
  }

  /**
   * File first, then index entry: a crash in between leaves an entry without a file, which the
   * next sweep (or export) tolerates, never a file nothing knows about.
   */
  private async remove(seg: Segment): Promise<void> {
    const file = segmentFile(this.deps.root, seg);
    try {
      await unlink(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.deps.log.warn({ cameraId: seg.cameraId, start: seg.start, path: seg.path }, 'recording already missing; forgetting it');
    }
    await this.deps.store.remove(seg.cameraId, seg.start);
    await this.pruneDayDir(dirname(file));
  }

  /** Empty day folders of past days go too; today's may be about to receive the recorder's next file. */
  private async pruneDayDir(dir: string): Promise<void> {
    const day = basename(dir);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || day >= new Date(this.deps.clock.now()).toISOString().slice(0, 10)) return;
    await rmdir(dir).catch(() => undefined); // not empty, or already gone: both fine
  }

  private noteDisk(report: SweepReport): void {
    const figures = { freeBytes: report.freeBytes, floorBytes: report.floorBytes };
    if (report.diskLow && !this.low) {
      this.low = true;
      this.deps.log.warn({ ...figures, held: report.held }, 'disk below its free-space floor and nothing more may be deleted');
      this.emit('disk-low', figures);
    } else if (this.low && report.freeBytes >= report.floorBytes) {
      this.low = false;
      this.deps.log.info(figures, 'disk back above its free-space floor');
      this.emit('disk-ok', figures);
    }
  }

  private maxAgeHours(cameraId: string): number {
    return this.policy.cameras?.[cameraId]?.maxAgeHours ?? this.policy.maxAgeHours ?? DEFAULT_MAX_AGE_HOURS;
  }

  floorBytes(totalBytes: number): number {
    const { minFreeBytes, minFreePercent } = this.policy;
    const percent = minFreePercent ?? (minFreeBytes === undefined ? 5 : 0);
    return Math.max(minFreeBytes ?? 0, Math.ceil(totalBytes * percent / 100));
  }
}

function normalise(p: RetentionPolicy): Settings {
  const positive = (key: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new RetentionPolicyError(`retention: ${key} must be a positive number (got ${v})`);
  };
  const rule = (key: string, r: CameraRetention): void => {
    positive(`${key}maxAgeHours`, r.maxAgeHours);
    if ((r.maxAgeHours ?? DEFAULT_MAX_AGE_HOURS) > DEFAULT_MAX_AGE_HOURS && !r.purpose?.trim()) {
      throw new RetentionPolicyError(`retention: ${key}maxAgeHours above ${DEFAULT_MAX_AGE_HOURS} needs a recorded purpose`);
    }
  };
  rule('', p);
  for (const [id, r] of Object.entries(p.cameras ?? {})) rule(`cameras.${id}.`, r);
  positive('intervalMs', p.intervalMs);
  if (p.minFreeBytes !== undefined && !(Number.isFinite(p.minFreeBytes) && p.minFreeBytes >= 0)) throw new RetentionPolicyError(`retention: minFreeBytes must be 0 or more (got ${p.minFreeBytes})`);
  if (p.minFreePercent !== undefined && !(p.minFreePercent >= 0 && p.minFreePercent < 100)) throw new RetentionPolicyError(`retention: minFreePercent must be from 0 to below 100 (got ${p.minFreePercent})`);
  if (p.protectRecentMinutes !== undefined && !(p.protectRecentMinutes >= 0)) throw new RetentionPolicyError(`retention: protectRecentMinutes must be 0 or more (got ${p.protectRecentMinutes})`);
  return { ...p, intervalMs: p.intervalMs ?? 60_000, protectRecentMinutes: p.protectRecentMinutes ?? 5 };
}
