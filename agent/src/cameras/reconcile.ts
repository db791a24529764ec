import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { probeDuration, type ProbeResult } from './media-probe';
import { isCameraId, isDayDir, QUARANTINE_DIR, segmentNameTime } from './segment-paths';
import type { SegmentIndex } from './segment-index';
import type { Segment } from './types';

export interface ReconcileSummary {
  /** Files that were on disk but not in the index, now indexed. */
  indexed: number;
  /** Unplayable files moved under `.quarantine/`. */
  quarantined: number;
  /** Index entries whose file was gone, now forgotten. */
  removed: number;
  /** The segments indexed, for whoever announces new footage. */
  added: Segment[];
}

export interface ReconcileOptions {
  /** Only these day folders (YYYY-MM-DD); default all. Index entries outside them are left alone. */
  days?: readonly string[];
  probe?: (file: string) => Promise<ProbeResult>;
}

type Index = Pick<SegmentIndex, 'add' | 'remove' | 'all' | 'cameras'>;

/**
 * Makes the index and the recordings folder agree, at start-up, before any recorder writes:
 * a file ffmpeg was writing when it died is not in the index (its segment line never came).
 * Fragmented MP4 keeps such a file playable up to its last fragment, so it is probed and
 * indexed; one that will not play is quarantined, never deleted.
 */
export async function reconcile(root: string, index: Index, log: Logger, opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const total: ReconcileSummary = { indexed: 0, quarantined: 0, removed: 0, added: [] };
  const onDisk = (await dirNames(root)).filter((n) => n !== QUARANTINE_DIR && isCameraId(n));
  const cameras = new Set([...onDisk, ...(await index.cameras())]);
  for (const cameraId of cameras) {
    const s = await reconcileCamera(root, cameraId, index, log, opts);
    total.indexed += s.indexed;
    total.quarantined += s.quarantined;
    total.removed += s.removed;
    total.added.push(...s.added);
  }
  log.info({ indexed: total.indexed, quarantined: total.quarantined, removed: total.removed }, 'recordings reconciled');
  return total;
}

/** One camera's part of `reconcile`; the recorder also runs it after its ffmpeg died, for that ffmpeg's last file. */
export async function reconcileCamera(root: string, cameraId: string, index: Index, log: Logger, opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { indexed: 0, quarantined: 0, removed: 0, added: [] };
  const probe = opts.probe ?? ((f: string) => probeDuration(f));
  const inDays = (path: string) => !opts.days || opts.days.some((d) => path.startsWith(`${cameraId}/${d}/`));
  const entries = (await index.all(cameraId)).filter((s) => inDays(s.path));
  const indexedPaths = new Set(entries.map((s) => s.path));

  const days = opts.days ?? (await dirNames(join(root, cameraId))).filter(isDayDir);
  const present = new Set<string>();
  for (const day of days) {
    for (const name of await fileNames(join(root, cameraId, day))) {
      if (!name.endsWith('.mp4')) continue;
      const rel = `${cameraId}/${day}/${name}`;
      present.add(rel);
      if (indexedPaths.has(rel)) continue;
      const file = join(root, rel);
      const startMs = segmentNameTime(name);
      const info = await stat(file).catch(() => undefined);
      if (!info) continue; // deleted under us (retention): nothing to reconcile
      const probed = await probe(file);
      if (startMs !== undefined && probed.ok && info.size > 0) {
        const seg: Segment = { cameraId, start: new Date(startMs).toISOString(), end: new Date(startMs + Math.round(probed.durationS * 1000)).toISOString(), bytes: info.size, path: rel };
        await index.add(seg);
        summary.added.push(seg);
        summary.indexed++;
        log.info({ cameraId, path: rel, durationS: probed.durationS }, 'indexed an unlisted recording');
      } else {
        await quarantine(root, rel);
        summary.quarantined++;
        log.warn({ cameraId, path: rel, bytes: info.size, error: probed.ok ? 'not a segment name' : probed.error }, 'quarantined an unplayable recording');
      }
    }
  }
  for (const seg of entries) {
    if (present.has(seg.path)) continue;
    await index.remove(cameraId, seg.start);
    summary.removed++;
    log.warn({ cameraId, path: seg.path, start: seg.start }, 'forgot a recording whose file is gone');
  }
  return summary;
}

async function quarantine(root: string, rel: string): Promise<void> {
  const target = join(root, QUARANTINE_DIR, rel);
  await mkdir(join(target, '..'), { recursive: true });
  await rename(join(root, rel), target);
}

async function dirNames(dir: string): Promise<string[]> {
  return (await entriesOf(dir)).filter((e) => e.isDirectory()).map((e) => e.name);
}

async function fileNames(dir: string): Promise<string[]> {
  return (await entriesOf(dir)).filter((e) => e.isFile()).map((e) => e.name);
}

async function entriesOf(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
