import { open, type FileHandle } from 'node:fs/promises';
import type { ExportHead } from '@sargs/shared';
import { findGaps, segmentFile, type SegmentStore } from '../cameras/segment-store';
import type { Segment } from '../cameras/types';
import { indexedFragments, mainTraf, Mp4Error, Reader, readInit, readMoof, scanFragments, writeField, type Fragment, type InitInfo, type TrackInfo } from './export-mp4';
import { MediaError } from './media-link';

export const MAX_EXPORT_HOURS = 24;
/** Seams shorter than this between segments are the recorder's normal slack, not missing footage (as the storage report counts them). */
export const GAP_THRESHOLD_MS = 1500;
/**
 * A segment whose index start lies this close to where the previous one's last frame ends
 * continues it exactly (index times are wall-clock, to the millisecond); further apart, the
 * timestamps jump by the difference, and a player holds the last frame across the hole.
 */
const SEAM_SNAP_MS = 100;
const SCAN_CONCURRENCY = 4;

export interface ExportRequest { cameraId: string; from: string; to: string }

export interface ExportPlanDeps {
  store: Pick<SegmentStore, 'list'>;
  root: string;
  /** The camera's name for sentences (the id when it is gone). */
  cameraName?: (cameraId: string) => string | undefined;
  maxHours?: number;
}

/** A fragment to copy: where its moof is, the sequence number it gets and, where the plan read it, the decode time it must have. */
export interface PlannedFragment { offset: number; end: number; seq: number; decodeTime: number | undefined }

/**
 * One run of whole fragments of one file, copied as they are but for each moof's sequence
 * number, decode times (moved by `shifts`, per track in its timescale) and an absolute data
 * offset if it has one; those fields are found in the moofs as they stream past.
 */
export interface ExportPiece {
  file: string;
  fh: FileHandle;
  offset: number;
  length: number;
  /** Where the piece starts in the output. */
  dst: number;
  fragments: PlannedFragment[];
  shifts: Map<number, number>;
  tracks: Map<number, TrackInfo>;
  mainTrack: number;
}

export interface ExportPlan {
  head: ExportHead;
  /** The first segment's ftyp+moov, durations filled in. */
  init: Buffer;
  pieces: ExportPiece[];
  /** Closes the files (the plan holds them open, so retention deleting one mid-export cannot cut the file short). */
  close(): Promise<void>;
}

/** "2026-03-01 10:00:13 UTC": how a sentence names a moment (the agent does not know the reader's zone). */
export function sentenceTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

interface Scanned {
  seg: Segment;
  file: string;
  fh: FileHandle;
  reader: Reader;
  size: number;
  init: InitInfo;
  frags: Fragment[];
}

/**
 * A segment's init and fragments. One wholly inside the range is copied whole: its own index
 * (mfra) says where its fragments are; the first and last are cut at fragments chosen by their
 * times, so every moof of theirs is read.
 */
async function scanSegment(root: string, seg: Segment, inside: boolean, log?: (msg: string) => void): Promise<Scanned | undefined> {
  let file: string;
  try { file = segmentFile(root, seg); } catch { return undefined; }
  let fh: FileHandle;
  try { fh = await open(file, 'r'); } catch { return undefined; } // deleted by retention: a gap
  try {
    const size = (await fh.stat()).size;
    const reader = new Reader(fh);
    const init = await readInit(reader, size);
    const frags = (inside ? await indexedFragments(reader, size, init) : undefined) ?? (await scanFragments(reader, size, init));
    // Synchronous reads run one file at a time: let the rest of the agent in between.
    await new Promise((r) => setImmediate(r));
    if (frags.length) return { seg, file, fh, reader, size, init, frags };
  } catch (err) {
    if (!(err instanceof Mp4Error)) { await fh.close(); throw err; }
    log?.(`${seg.path}: ${err.message}`);
  }
  await fh.close();
  return undefined;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

/**
 * Which bytes make the export of [from, to), before the first byte is sent: so the exact size
 * is known up front. The file is the first used segment's init once, then the chosen moof+mdat
 * fragments of every segment in order: from the fragment that starts with the keyframe at or
 * before `from` to the one containing `to`. Each fragment's mfhd sequence number is renumbered
 * and its tfdt moved onto one timeline that starts at 0 at that keyframe and follows the
 * index's wall-clock starts of the segments (a hole in the recording is a jump in time). The
 * media data is not touched. A file's fragments come from its own index (mfra) where it has
 * one, else from its boxes.
 *
 * A segment whose tracks or sample descriptions differ from the first one's (the camera's
 * codec, size or stream parameters changed) cannot share its init: the export is refused
 * with `unsupported`, naming the moment, so it can be asked for in two parts.
 */
export async function planExport(req: ExportRequest, deps: ExportPlanDeps, log?: (msg: string) => void): Promise<ExportPlan> {
  const fromMs = Date.parse(req.from);
  const toMs = Date.parse(req.to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw new MediaError('bad-args', 'The export range needs ISO-8601 times for "from" and "to".');
  if (toMs <= fromMs) throw new MediaError('bad-args', 'The export range must end after it starts.');
  const maxHours = deps.maxHours ?? MAX_EXPORT_HOURS;
  if (toMs - fromMs > maxHours * 3_600_000) {
    throw new MediaError('too-long', `Exports are limited to ${maxHours} hours; this range is ${((toMs - fromMs) / 3_600_000).toFixed(1)} hours. Export it in parts.`);
  }
  const name = deps.cameraName?.(req.cameraId) ?? req.cameraId;
  const noFootage = () => new MediaError('no-footage', `No footage was recorded by ${name} between ${sentenceTime(fromMs)} and ${sentenceTime(toMs)}.`);

  const listed = (await deps.store.list(req.cameraId, new Date(fromMs).toISOString(), new Date(toMs).toISOString()))
    .filter((s) => Date.parse(s.end) > fromMs && Date.parse(s.start) < toMs)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const scanned = (await mapLimit(listed, SCAN_CONCURRENCY, (s) => scanSegment(deps.root, s, Date.parse(s.start) >= fromMs && Date.parse(s.end) <= toMs, log))).filter((s): s is Scanned => s !== undefined);
  const handles = scanned.map((s) => s.fh);
  const close = async () => { await Promise.all(handles.splice(0).map((fh) => fh.close().catch(() => undefined))); };
  try {
    const plan = await build(scanned, fromMs, toMs, log);
    if (!plan) throw noFootage();
    // Files that gave no fragment are not needed.
    const kept = new Set(plan.pieces.map((p) => p.fh));
    await Promise.all(handles.filter((fh) => !kept.has(fh)).map((fh) => fh.close().catch(() => undefined)));
    handles.splice(0, handles.length, ...kept);
    return { ...plan, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Fragment i's main-track times, reading its moof if the plan has not yet. */
async function moofOf(s: Scanned, i: number): Promise<NonNullable<Fragment['moof']>> {
  const f = s.frags[i]!;
  if (!f.moof) {
    const t = mainTraf((await readMoof(s.reader, f.offset, s.size, s.init)).moof, s.init);
    f.moof = { decodeTime: t.decodeTime, duration: t.duration, firstIsSync: t.firstIsSync };
  }
  return f.moof;
}

async function firstKey(s: Scanned, from: number, down: boolean): Promise<number> {
  for (let i = from; down ? i >= 0 : i < s.frags.length; i += down ? -1 : 1) if ((await moofOf(s, i)).firstIsSync) return i;
  return -1;
}

async function build(scanned: Scanned[], fromMs: number, toMs: number, log?: (msg: string) => void): Promise<Omit<ExportPlan, 'close'> | undefined> {
  let first: Scanned | undefined;
  let startMs = 0;
  const pieces: ExportPiece[] = [];
  const used: Segment[] = [];
  let dst = 0;
  let seq = 1;
  /** Where the main track's last fragment ends on the export's timeline, in its timescale. */
  let mainEnd = 0;
  for (const s of scanned) {
    const ts = s.init.tracks.get(s.init.mainTrack)!.timescale;
    const segStart = Date.parse(s.seg.start);
    const inside = segStart >= fromMs && Date.parse(s.seg.end) <= toMs;
    let startIdx: number;
    let endIdx: number;
    let wall: (i: number) => Promise<number>;
    try {
      const base = (await moofOf(s, 0)).decodeTime;
      wall = async (i) => segStart + (((await moofOf(s, i)).decodeTime - base) / ts) * 1000;
      if (!first) {
        // The keyframe at or before `from`; if the recording starts later, its first keyframe.
        let at = -1;
        while (at + 1 < s.frags.length && (await wall(at + 1)) <= fromMs + 1) at++;
        startIdx = at >= 0 ? await firstKey(s, at, true) : -1;
        if (startIdx < 0) startIdx = await firstKey(s, 0, false);
      } else {
        startIdx = await firstKey(s, 0, false);
      }
      if (startIdx < 0) continue;
      // Up to the fragment holding `to`; a segment inside the range is copied to its end.
      endIdx = inside ? s.frags.length : startIdx;
      while (endIdx < s.frags.length && (await wall(endIdx)) < toMs) endIdx++;
      if (endIdx === startIdx) continue;
      await moofOf(s, endIdx - 1);
    } catch (err) {
      if (!(err instanceof Mp4Error)) throw err;
      log?.(`${s.seg.path}: ${err.message}`);
      continue;
    }
    if (first && s.init.key !== first.init.key) {
      throw new MediaError('unsupported',
        `The camera's video changed at ${sentenceTime(await wall(startIdx))} (${first.init.describe} before, ${s.init.describe} after), ` +
        'and one file cannot hold both: export the footage before and after that moment separately.');
    }

    const firstFrag = s.frags[startIdx]!;
    const firstMoof = firstFrag.moof!;
    // Where this segment's first chosen fragment goes on the export's timeline.
    let wanted: number;
    if (!first) {
      first = s;
      startMs = await wall(startIdx);
      wanted = 0;
    } else {
      wanted = Math.round((((await wall(startIdx)) - startMs) / 1000) * ts);
      if (wanted < mainEnd || wanted - mainEnd <= (SEAM_SNAP_MS / 1000) * ts) wanted = mainEnd;
    }
    const shift = wanted - firstMoof.decodeTime;
    const shifts = new Map([...s.init.tracks.values()].map((t) => [t.id, t.id === s.init.mainTrack ? shift : Math.round((shift / ts) * t.timescale)]));

    const chosen = s.frags.slice(startIdx, endIdx);
    const lastFrag = chosen[chosen.length - 1]!;
    mainEnd = lastFrag.moof!.decodeTime + shift + lastFrag.moof!.duration;
    const length = lastFrag.end - firstFrag.offset;
    pieces.push({
      file: s.file, fh: s.fh, offset: firstFrag.offset, length, dst,
      fragments: chosen.map((f) => ({ offset: f.offset, end: f.end, seq: seq++, decodeTime: f.moof?.decodeTime })),
      shifts, tracks: s.init.tracks, mainTrack: s.init.mainTrack,
    });
    dst += length;
    used.push(s.seg);
  }
  if (!first) return undefined;

  const ts = first.init.tracks.get(first.init.mainTrack)!.timescale;
  const durationS = mainEnd / ts;
  const init = Buffer.from(first.init.bytes);
  const movieDuration = Math.round(durationS * first.init.mvhdTimescale);
  for (const f of [first.init.mvhdDuration, ...first.init.tkhdDurations]) {
    if (f && (f.width === 8 || movieDuration <= 0xffffffff)) writeField(init, f.pos, f.width, movieDuration);
  }
  for (const p of pieces) p.dst += init.length;
  return {
    init, pieces,
    head: {
      bytes: init.length + dst,
      startsAt: new Date(Math.round(startMs)).toISOString(),
      durationS: Math.round(durationS * 1000) / 1000,
      segments: used.length,
      gaps: findGaps(used, fromMs, toMs, GAP_THRESHOLD_MS),
    },
  };
}
