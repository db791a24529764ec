import { open, type FileHandle } from 'node:fs/promises';
import type { ExportHead } from '@sargs/shared';
import { findGaps, segmentFile, type SegmentStore } from '../cameras/segment-store';
import type { Segment } from '../cameras/types';
import { Mp4Error, Reader, readInit, scanFragments, writeField, type FieldAt, type Fragment, type InitInfo } from './export-mp4';
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

/** A bytes-in-place change: `bytes` go at absolute file offset `at`. */
interface Patch { at: number; bytes: Buffer }

/** One run of whole fragments of one file, copied with a few fields rewritten. */
export interface ExportPiece {
  file: string;
  fh: FileHandle;
  offset: number;
  length: number;
  patches: Patch[];
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

function field(f: FieldAt, value: number): Buffer {
  const b = Buffer.allocUnsafe(f.width);
  writeField(b, 0, f.width, value);
  return b;
}

interface Scanned { seg: Segment; file: string; fh: FileHandle; init: InitInfo; frags: Fragment[] }

async function scanSegment(root: string, seg: Segment, log?: (msg: string) => void): Promise<Scanned | undefined> {
  let file: string;
  try { file = segmentFile(root, seg); } catch { return undefined; }
  let fh: FileHandle;
  try { fh = await open(file, 'r'); } catch { return undefined; } // deleted by retention: a gap
  try {
    const size = (await fh.stat()).size;
    const reader = new Reader(fh);
    const init = await readInit(reader, size);
    const frags = await scanFragments(reader, size, init);
    // Synchronous reads run one file at a time: let the rest of the agent in between.
    await new Promise((r) => setImmediate(r));
    if (frags.length) return { seg, file, fh, init, frags };
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
 * Which bytes make the export of [from, to) and how they are changed, before the first byte
 * is sent: so the exact size is known up front. The file is the first used segment's init
 * once, then the chosen moof+mdat fragments of every segment in order: from the fragment that
 * starts with the keyframe at or before `from` to the one containing `to`. Each fragment's
 * mfhd sequence number is renumbered and its tfdt moved onto one timeline that starts at 0 at
 * that keyframe and follows the index's wall-clock starts of the segments (a hole in the
 * recording is a jump in time). The media data is not touched.
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
  const scanned = (await mapLimit(listed, SCAN_CONCURRENCY, (s) => scanSegment(deps.root, s, log))).filter((s): s is Scanned => s !== undefined);
  const handles = scanned.map((s) => s.fh);
  const close = async () => { await Promise.all(handles.splice(0).map((fh) => fh.close().catch(() => undefined))); };
  try {
    const plan = build(scanned, fromMs, toMs);
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

function build(scanned: Scanned[], fromMs: number, toMs: number): Omit<ExportPlan, 'close'> | undefined {
  let first: Scanned | undefined;
  let startMs = 0;
  const pieces: ExportPiece[] = [];
  const used: Segment[] = [];
  let outOffset = 0;
  let seq = 1;
  /** Where the main track's last fragment ends on the export's timeline, in its timescale. */
  let mainEnd = 0;
  for (const s of scanned) {
    const main = s.init.tracks.get(s.init.mainTrack)!;
    const ts = main.timescale;
    const mainTraf = (f: Fragment) => f.trafs.find((t) => t.trackId === main.id);
    const segStart = Date.parse(s.seg.start);
    const base = mainTraf(s.frags[0]!)?.decodeTime ?? 0;
    const wall = (f: Fragment) => segStart + (((mainTraf(f)?.decodeTime ?? base) - base) / ts) * 1000;
    const isKey = (f: Fragment) => mainTraf(f)?.firstIsSync === true;

    let startIdx: number;
    if (!first) {
      // The keyframe at or before `from`; if the recording starts later, its first keyframe.
      const keys = s.frags.map((f, i) => (isKey(f) ? i : -1)).filter((i) => i >= 0);
      if (!keys.length) continue;
      const before = keys.filter((i) => wall(s.frags[i]!) <= fromMs + 1);
      startIdx = before.length ? before[before.length - 1]! : keys[0]!;
    } else {
      startIdx = s.frags.findIndex(isKey);
      if (startIdx < 0) continue;
    }
    let endIdx = startIdx;
    while (endIdx < s.frags.length && wall(s.frags[endIdx]!) < toMs) endIdx++;
    if (endIdx === startIdx) continue;
    if (first && s.init.key !== first.init.key) {
      throw new MediaError('unsupported',
        `The camera's video changed at ${sentenceTime(wall(s.frags[startIdx]!))} (${first.init.describe} before, ${s.init.describe} after), ` +
        'and one file cannot hold both: export the footage before and after that moment separately.');
    }

    const firstFrag = s.frags[startIdx]!;
    const firstDecode = mainTraf(firstFrag)?.decodeTime ?? base;
    // The shift (in seconds) that puts this segment's first chosen fragment on the export's timeline.
    let wanted: number;
    if (!first) {
      first = s;
      startMs = wall(firstFrag);
      wanted = 0;
    } else {
      wanted = Math.round(((wall(firstFrag) - startMs) / 1000) * ts);
      if (wanted < mainEnd || wanted - mainEnd <= (SEAM_SNAP_MS / 1000) * ts) wanted = mainEnd;
    }
    const shiftS = (wanted - firstDecode) / ts;

    const patches: Patch[] = [];
    const pieceStart = firstFrag.offset;
    for (let i = startIdx; i < endIdx; i++) {
      const f = s.frags[i]!;
      /** Where this moof lands in the output. */
      const dst = first.init.bytes.length + outOffset + (f.offset - pieceStart);
      patches.push({ at: f.seq.pos, bytes: field(f.seq, seq++) });
      for (const t of f.trafs) {
        const track = s.init.tracks.get(t.trackId);
        const tts = track?.timescale ?? ts;
        const decode = Math.max(0, t.decodeTime + Math.round(shiftS * tts));
        if (t.tfdt.width === 4 && decode > 0xffffffff) {
          throw new MediaError('unsupported', `${s.seg.path} uses 32-bit decode times, which cannot hold an export this long: export a shorter range.`);
        }
        patches.push({ at: t.tfdt.pos, bytes: field(t.tfdt, decode) });
        // An absolute data offset moves with its moof.
        if (t.baseDataOffset) patches.push({ at: t.baseDataOffset.pos, bytes: field(t.baseDataOffset, t.baseDataOffset.value - f.offset + dst) });
        if (t.trackId === main.id) mainEnd = decode + t.duration;
      }
    }
    const lastFrag = s.frags[endIdx - 1]!;
    pieces.push({ file: s.file, fh: s.fh, offset: pieceStart, length: lastFrag.end - pieceStart, patches });
    outOffset += lastFrag.end - pieceStart;
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
  const bytes = init.length + pieces.reduce((n, p) => n + p.length, 0);
  return {
    init, pieces,
    head: {
      bytes,
      startsAt: new Date(Math.round(startMs)).toISOString(),
      durationS: Math.round(durationS * 1000) / 1000,
      segments: used.length,
      gaps: findGaps(used, fromMs, toMs, GAP_THRESHOLD_MS),
    },
  };
}
