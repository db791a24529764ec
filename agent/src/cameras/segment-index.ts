import type { Level } from 'level';
import type { RecordedRange } from '@sargs/shared';
import { assertCameraId } from './segment-paths';
import { END_OF_TIME_ISO, EPOCH_ISO, type Gap, type SegmentKey, type SegmentStore } from './segment-store';
import type { Segment } from './types';

type Sub = ReturnType<Level<string, unknown>['sublevel']>;

/** Recorded time of one camera inside a window, merged across the seams between segments. */
export interface RecordedSummary {
  ranges: RecordedRange[];
  /** Holes between recorded ranges inside the window, longer than the merge threshold. */
  gaps: Gap[];
  totals: { segments: number; bytes: number; oldest: string | undefined; newest: string | undefined };
}

// '!' sorts below every character an id or an ISO time uses, and '"' right after it,
// so [`${id}!`, `${id}"`) is exactly one camera's keys.
const camKey = (cameraId: string, start: string) => `${cameraId}!${start}`;
const timeKey = (start: string, cameraId: string) => `${start}!${cameraId}`;

/**
 * Finished segments in LevelDB. `segments` holds them by camera then start (a camera's
 * timeline is one range scan); `segments-by-time` orders all cameras by start for retention,
 * which deletes the oldest footage first whichever camera it belongs to. Both are written
 * in one batch, so they cannot disagree after a crash.
 */
export class SegmentIndex implements SegmentStore {
  private readonly byCamera: Sub;
  private readonly byTime: Sub;

  constructor(private readonly db: Level<string, unknown>) {
    this.byCamera = db.sublevel('segments', { valueEncoding: 'json' }) as Sub;
    this.byTime = db.sublevel('segments-by-time', { valueEncoding: 'json' }) as Sub;
  }

  async add(seg: Segment): Promise<void> {
    assertCameraId(seg.cameraId);
    if (!(Date.parse(seg.end) >= Date.parse(seg.start))) throw new Error(`segment ends before it starts: ${seg.start} .. ${seg.end}`);
    await this.db.batch([
      { type: 'put', sublevel: this.byCamera as never, key: camKey(seg.cameraId, seg.start), value: seg },
      { type: 'put', sublevel: this.byTime as never, key: timeKey(seg.start, seg.cameraId), value: 1 },
    ] as never);
  }

  async remove(cameraId: string, start: string): Promise<void> {
    await this.db.batch([
      { type: 'del', sublevel: this.byCamera as never, key: camKey(cameraId, start) },
      { type: 'del', sublevel: this.byTime as never, key: timeKey(start, cameraId) },
    ] as never);
  }

  /**
   * Segments overlapping [fromIso, toIso), oldest first. Scans the camera from its first
   * segment: a segment's length has no upper bound (a salvaged file can be anything), so no
   * key range before `from` can be skipped safely; a few days of minute segments is a few thousand keys.
   */
  async list(cameraId: string, fromIso: string, toIso: string): Promise<Segment[]> {
    const segs = (await this.byCamera.values({ gte: `${cameraId}!`, lt: camKey(cameraId, toIso) }).all()) as Segment[];
    return segs.filter((s) => s.end > fromIso || (s.start === s.end && s.start >= fromIso));
  }

  async listOldest(limit: number, after?: SegmentKey): Promise<Segment[]> {
    const keys = await this.byTime.keys({ ...(after ? { gt: timeKey(after.start, after.cameraId) } : {}), limit }).all();
    const wanted = keys.map((k) => {
      const at = k.indexOf('!');
      return camKey(k.slice(at + 1), k.slice(0, at));
    });
    const found = (await this.byCamera.getMany(wanted)) as Array<Segment | undefined>;
    return found.filter((s): s is Segment => s !== undefined);
  }

  async cameras(): Promise<string[]> {
    const ids: string[] = [];
    let from = '';
    for (;;) {
      const [key] = await this.byCamera.keys({ gte: from, limit: 1 }).all();
      if (key === undefined) return ids;
      const id = key.slice(0, key.indexOf('!'));
      ids.push(id);
      from = `${id}"`;
    }
  }

  /** Every segment of a camera, oldest first. */
  all(cameraId: string): Promise<Segment[]> {
    return this.list(cameraId, EPOCH_ISO, END_OF_TIME_ISO);
  }

  /**
   * What is recorded between from and to: segments closer than `maxGapMs` are one range
   * (ffmpeg leaves a frame-sized seam between segments, a restart leaves seconds).
   */
  async ranges(cameraId: string, fromIso: string, toIso: string, maxGapMs = 1500): Promise<RecordedSummary> {
    const segs = await this.list(cameraId, fromIso, toIso);
    const fromMs = Date.parse(fromIso);
    const toMs = Date.parse(toIso);
    const merged: Array<{ start: number; end: number }> = [];
    for (const s of segs) {
      const start = Math.max(Date.parse(s.start), fromMs);
      const end = Math.min(Date.parse(s.end), toMs);
      const last = merged[merged.length - 1];
      if (last && start - last.end <= maxGapMs) last.end = Math.max(last.end, end);
      else merged.push({ start, end });
    }
    const iso = (ms: number) => new Date(ms).toISOString();
    const gaps: Gap[] = [];
    for (let i = 1; i < merged.length; i++) gaps.push({ from: iso(merged[i - 1]!.end), to: iso(merged[i]!.start) });
    return {
      ranges: merged.map((r) => ({ start: iso(r.start), end: iso(r.end) })),
      gaps,
      totals: {
        segments: segs.length,
        bytes: segs.reduce((n, s) => n + s.bytes, 0),
        oldest: segs[0]?.start,
        newest: segs.reduce<string | undefined>((m, s) => (m === undefined || s.end > m ? s.end : m), undefined),
      },
    };
  }
}
