import { open, type FileHandle } from 'node:fs/promises';
import type { SegmentPart } from '@sargs/shared';
import { parseMoof, parseMoov, type VideoTrack } from './segment-layout-boxes';

/** One moof with what follows it up to the next moof: its bytes and timing. */
export interface Fragment {
  offset: number;
  length: number;
  decodeTime: number;
  duration: number;
  keyframe: boolean;
}

/** What the headers of one fragmented MP4 file say, read without touching its media data. */
export interface FileLayout {
  /** ftyp+moov: what a player needs before any fragment. */
  init: { offset: number; length: number };
  track: VideoTrack;
  /** Complete fragments, in file order. */
  fragments: Fragment[];
  /** Where the last complete fragment ends: a file still being written is usable up to here. */
  completeBytes: number;
  /** The file's size when it was read. */
  fileBytes: number;
}

/** A playback part (starts at a keyframe), with what a still needs: the keyframe's own fragment. */
export interface PartInfo extends SegmentPart {
  startMs: number;
  /** Bytes of the part's first fragment, the one holding the keyframe. */
  keyLength: number;
}

/** The file is not a fragmented MP4 this code can read (no moov, no video track). */
export class LayoutError extends Error {}

const MAX_MOOV_BYTES = 16 * 1024 * 1024;
const MAX_MOOF_BYTES = 4 * 1024 * 1024;
/** Reads are this big at least, so a moof and the header of the mdat after it usually come in one read. */
const WINDOW_BYTES = 16 * 1024;

/** Reads byte ranges of a file through a small window, so neighbouring small reads cost one system call. */
class WindowReader {
  private buf = Buffer.alloc(0);
  private at = 0;
  constructor(private readonly fh: FileHandle, private readonly size: number) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.size);
    if (offset >= this.at && end <= this.at + this.buf.length) return this.buf.subarray(offset - this.at, end - this.at);
    const want = Math.min(Math.max(end - offset, WINDOW_BYTES), this.size - offset);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await this.fh.read(buf, 0, want, offset);
    this.buf = buf.subarray(0, bytesRead);
    this.at = offset;
    return this.buf.subarray(0, Math.min(end - offset, bytesRead));
  }
}

interface TopBox { type: string; offset: number; size: number }

/** The top-level box at `offset`, or undefined when its header is cut off or malformed. */
async function topBox(r: WindowReader, offset: number, fileBytes: number): Promise<TopBox | undefined> {
  const h = await r.read(offset, 16);
  if (h.length < 8) return undefined;
  let size = h.readUInt32BE(0);
  const type = h.toString('latin1', 4, 8);
  if (size === 1) {
    if (h.length < 16) return undefined;
    size = Number(h.readBigUInt64BE(8));
  } else if (size === 0) {
    size = fileBytes - offset; // "to the end of the file": only complete once the writer is done
  }
  if (size < 8 || !/^[\x20-\x7e]{4}$/.test(type)) return undefined;
  return { type, offset, size };
}

/**
 * Walks a fragmented MP4's top-level boxes with reads at offsets (headers, the moov and each
 * moof; never an mdat) and returns its init range, video track and complete fragments. A file
 * still being written (or cut off by a crash) yields the fragments that are whole.
 */
export async function readFileLayout(file: string): Promise<FileLayout> {
  const fh = await open(file, 'r');
  try {
    const fileBytes = (await fh.stat()).size;
    const r = new WindowReader(fh, fileBytes);
    let track: VideoTrack | undefined;
    let init: FileLayout['init'] | undefined;
    const fragments: Fragment[] = [];
    let completeBytes = 0;
    let pending: (Omit<Fragment, 'length'> & { hasData: boolean }) | undefined;
    const close = (end: number) => {
      if (pending?.hasData) {
        const { hasData: _, ...f } = pending;
        fragments.push({ ...f, length: end - f.offset });
        completeBytes = end;
      }
      pending = undefined;
    };
    let offset = 0;
    while (offset < fileBytes) {
      const box = await topBox(r, offset, fileBytes);
      if (!box || offset + box.size > fileBytes) break;
      if (box.type === 'moov') {
        if (box.size > MAX_MOOV_BYTES) throw new LayoutError(`moov of ${box.size} bytes is too big`);
        track = parseMoov(Buffer.from(await r.read(offset, box.size)));
        if (!track) throw new LayoutError('no video track in the moov');
        init = { offset: 0, length: offset + box.size };
        completeBytes = offset + box.size;
      } else if (box.type === 'moof') {
        close(offset);
        if (!track) throw new LayoutError('a moof comes before the moov');
        if (box.size > MAX_MOOF_BYTES) throw new LayoutError(`moof of ${box.size} bytes is too big`);
        const t = parseMoof(Buffer.from(await r.read(offset, box.size)), track);
        if (t) pending = { offset, decodeTime: t.decodeTime, duration: t.duration, keyframe: t.keyframe, hasData: false };
      } else if (box.type === 'mdat') {
        if (pending) pending.hasData = true;
      } else if (box.type === 'mfra') {
        close(offset);
      }
      offset += box.size;
      if (pending?.hasData) close(offset);
    }
    if (!track || !init) throw new LayoutError('no moov at the head of the file');
    return { init, track, fragments, completeBytes, fileBytes };
  } finally {
    await fh.close();
  }
}

/**
 * Groups a file's fragments into parts that each start at a keyframe and run to the next
 * keyframe fragment, with wall-clock starts: the segment's start plus the fragment's decode
 * time since the file's first fragment. Fragments before the first keyframe cannot be shown alone: left out.
 */
export function partsOf(layout: FileLayout, segmentStartMs: number): PartInfo[] {
  const { fragments, track } = layout;
  const first = fragments[0];
  if (!first) return [];
  const parts: PartInfo[] = [];
  let current: (PartInfo & { ticks: number }) | undefined;
  const finish = () => {
    if (!current) return;
    const { ticks, ...part } = current;
    parts.push({ ...part, durationS: round6(ticks / track.timescale) });
  };
  for (const f of fragments) {
    if (f.keyframe) {
      finish();
      const startMs = segmentStartMs + ((f.decodeTime - first.decodeTime) / track.timescale) * 1000;
      current = { offset: f.offset, length: f.length, start: new Date(Math.round(startMs)).toISOString(), startMs, durationS: 0, keyLength: f.length, ticks: f.duration };
    } else if (current && f.offset >= current.offset + current.length) {
      // Contiguous in files ffmpeg writes; a stray box between fragments is carried along.
      current.length = f.offset + f.length - current.offset;
      current.ticks += f.duration;
    }
  }
  finish();
  return parts;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
