import { END_OF_TIME_ISO, EPOCH_ISO, findGaps, type Gap, type SegmentStore } from './segment-store';

export const DEFAULT_GAP_THRESHOLD_MS = 1500;

export interface CameraStorage {
  cameraId: string;
  bytes: number;
  segments: number;
  /** Start of the oldest footage and end of the newest, ISO-8601 UTC; absent with no footage. */
  oldest?: string;
  newest?: string;
  /** Missing footage between recorded segments inside the window. */
  gaps: Gap[];
}

export interface StorageReportOptions {
  now: number;
  /** How far back gaps are looked for (default 24 h). */
  windowHours?: number;
  gapThresholdMs?: number;
}

/**
 * What each camera has on disk, for the hub's recordings view. Gaps are looked for only between
 * the first and last footage in the window: the segment being written is not in the index yet, so
 * "no footage since the last segment" is normal there, and a stopped recorder is health's to report.
 */
export async function storageReport(store: Pick<SegmentStore, 'cameras' | 'list'>, opts: StorageReportOptions): Promise<CameraStorage[]> {
  const windowFrom = opts.now - (opts.windowHours ?? 24) * 3_600_000;
  const threshold = opts.gapThresholdMs ?? DEFAULT_GAP_THRESHOLD_MS;
  const report: CameraStorage[] = [];
  for (const cameraId of (await store.cameras()).sort()) {
    const segs = (await store.list(cameraId, EPOCH_ISO, END_OF_TIME_ISO)).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const first = segs[0];
    const entry: CameraStorage = { cameraId, bytes: 0, segments: segs.length, gaps: [] };
    for (const s of segs) entry.bytes += s.bytes;
    if (first) {
      entry.oldest = first.start;
      const newestMs = segs.reduce((m, s) => Math.max(m, Date.parse(s.end)), -Infinity);
      entry.newest = new Date(newestMs).toISOString();
      const inWindow = segs.filter((s) => Date.parse(s.end) > windowFrom);
      // Footage before the window means the window's start is where coverage is expected from.
      const from = Date.parse(first.end) <= windowFrom ? windowFrom : Math.max(windowFrom, Date.parse(first.start));
      entry.gaps = findGaps(inWindow, from, Math.min(opts.now, newestMs), threshold);
    }
    report.push(entry);
  }
  return report;
}
