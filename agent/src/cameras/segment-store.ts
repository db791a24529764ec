import { isAbsolute, relative, resolve } from 'node:path';
import type { Segment } from './types';

/** Identifies one segment; the global order of segments is (start, cameraId). */
export type SegmentKey = Pick<Segment, 'cameraId' | 'start'>;

/** A stretch of time with no footage, ISO-8601 UTC. */
export interface Gap { from: string; to: string }

/**
 * What retention, export and the storage report need from the index of finished segments.
 * Kept this narrow so the index can change (LevelDB today) without touching its readers.
 */
export interface SegmentStore {
  /** Cameras with at least one segment. */
  cameras(): Promise<string[]>;
  /** Segments of one camera overlapping [fromIso, toIso) (end > from and start < to), oldest first. */
  list(cameraId: string, fromIso: string, toIso: string): Promise<Segment[]>;
  /**
   * Up to `limit` segments of all cameras in (start, cameraId) order, strictly after `after`.
   * The cursor lets retention walk past segments it must keep (held, too new) instead of
   * being handed the same ones again.
   */
  listOldest(limit: number, after?: SegmentKey): Promise<Segment[]>;
  /** Forgets one segment; nothing happens if it is not there. */
  remove(cameraId: string, start: string): Promise<void>;
}

export const EPOCH_ISO = new Date(0).toISOString();
/** Upper bound for "everything": later than any recording this software will see. */
export const END_OF_TIME_ISO = '9999-12-31T23:59:59.999Z';

/**
 * The absolute file of a segment. The path comes from the index, which a bug or a tampered
 * database could point anywhere; deleting or serving outside the recordings root must not happen.
 */
export function segmentFile(root: string, seg: Pick<Segment, 'path'>): string {
  const base = resolve(root);
  const file = resolve(base, seg.path);
  const rel = relative(base, file);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) throw new Error(`segment path escapes the recordings root: ${seg.path}`);
  return file;
}

/**
 * Missing stretches inside [from, to] longer than `thresholdMs`, given segments sorted by start.
 * Recorders leave small seams between segments (a frame or two), which are not gaps.
 */
export function findGaps(sorted: readonly Pick<Segment, 'start' | 'end'>[], fromMs: number, toMs: number, thresholdMs: number): Gap[] {
  const gaps: Gap[] = [];
  let covered = fromMs;
  const add = (a: number, b: number): void => {
    if (b - a > thresholdMs) gaps.push({ from: new Date(a).toISOString(), to: new Date(b).toISOString() });
  };
  for (const seg of sorted) {
    const start = Date.parse(seg.start);
    if (start >= toMs) break;
    add(covered, start);
    covered = Math.max(covered, Date.parse(seg.end));
  }
  add(covered, toMs);
  return gaps;
}
