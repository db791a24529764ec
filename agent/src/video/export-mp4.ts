import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Just enough of ISO-BMFF (MP4) to stitch the recorder's fragmented segments into one file
 * without touching the media: where the init (ftyp+moov) ends, each track's timescale and sample
 * description, and for every fragment (moof … mdat) its byte range, its decode time (tfdt) and
 * where the fields that must be rewritten sit (mfhd sequence number, tfdt, an absolute
 * base_data_offset). Everything else passes through byte for byte.
 */

/** Thrown for a file this reader cannot stitch (no moov, a 32-bit tfdt that would overflow…). */
export class Mp4Error extends Error {}

export interface TrackInfo {
  id: number;
  timescale: number;
  /** 'vide', 'soun'… */
  handler: string;
  /** trex defaults, used where a fragment gives none. */
  defaultDuration: number;
  defaultFlags: number;
}

/** Where a field sits inside the file and how wide it is. */
export interface FieldAt { pos: number; width: 4 | 8 }

export interface InitInfo {
  /** ftyp + moov, as they are in the file. */
  bytes: Buffer;
  /** The first byte after the moov: fragments are looked for from here. */
  end: number;
  tracks: Map<number, TrackInfo>;
  /** The track export times follow (the first video track, else the first). */
  mainTrack: number;
  /** Tracks, timescales and sample descriptions (codec, size, SPS/PPS): two files with the same key can be joined. */
  key: string;
  /** Human description for errors, e.g. "avc1 1920×1080". */
  describe: string;
  /** Offsets inside `bytes` of the duration fields a stitched file should fill in. */
  mvhdDuration: FieldAt | undefined;
  tkhdDurations: FieldAt[];
  mvhdTimescale: number;
}

/** One traf of a moof; positions are relative to the moof's first byte. */
export interface TrafInfo {
  trackId: number;
  tfdt: FieldAt;
  decodeTime: number;
  /** Sum of the sample durations, in the track's timescale. */
  duration: number;
  samples: number;
  firstIsSync: boolean;
  /** An absolute base_data_offset (tfhd flag 0x1), which must move with the fragment. */
  baseDataOffset: (FieldAt & { value: number }) | undefined;
}

export interface MoofInfo {
  size: number;
  /** The mfhd sequence number, relative to the moof's first byte. */
  seq: FieldAt;
  trafs: TrafInfo[];
}

/** A fragment as the export plans it: its bytes and, once its moof has been read, the main track's times. */
export interface Fragment {
  /** The moof's first byte; the fragment runs to `end` (its mdat, and anything up to the next moof). */
  offset: number;
  end: number;
  moof?: { decodeTime: number; duration: number; firstIsSync: boolean };
}

const CONTAINERS_IN_MOOV = new Set(['trak', 'mdia', 'minf', 'stbl', 'mvex', 'edts']);
const SCAN_WINDOW = 2048;
/** A moof larger than this (about 100,000 samples) is not a recorder's. */
const MAX_MOOF_BYTES = 1024 * 1024;

interface Box { type: string; start: number; header: number; size: number }

/** The boxes in buf[from, to), each with its header length; a box running past `to` ends the walk. */
function* boxes(buf: Buffer, from: number, to: number): Generator<Box> {
  let p = from;
  while (p + 8 <= to) {
    let size = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      if (p + 16 > to) return;
      size = Number(buf.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) size = to - p;
    if (size < header || p + size > to) return;
    yield { type, start: p, header, size };
    p += size;
  }
}

/**
 * Reads [pos, pos+length) (less at the end of the file). The layout of an hour of footage is
 * thousands of 2 KB reads: through the thread pool each costs ~40 µs of round trip, from the
 * page cache with a plain pread ~5 µs, so reads are synchronous while they are that fast. One
 * that takes longer (the disk, not the cache) switches this reader to the thread pool, so a cold
 * disk never holds up the agent's event loop for more than one read.
 */
export class Reader {
  private sync = true;
  constructor(readonly fh: FileHandle) {}

  async read(pos: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      let n: number;
      if (this.sync) {
        const t0 = performance.now();
        n = readSync(this.fh.fd, buf, got, length - got, pos + got);
        if (performance.now() - t0 > SLOW_SYNC_READ_MS) this.sync = false;
      } else {
        n = (await this.fh.read(buf, got, length - got, pos + got)).bytesRead;
      }
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }
}
const SLOW_SYNC_READ_MS = 1;

/** A top-level box header at `pos`, or undefined at the end of the file or a box cut off by it. */
function topHeader(buf: Buffer, at: number, pos: number, fileSize: number): { type: string; size: number; header: number } | 'short' | undefined {
  if (at + 8 > buf.length) return pos + 8 > fileSize ? undefined : 'short';
  let size = buf.readUInt32BE(at);
  const type = buf.toString('latin1', at + 4, at + 8);
  let header = 8;
  if (size === 1) {
    if (at + 16 > buf.length) return pos + 16 > fileSize ? undefined : 'short';
    size = Number(buf.readBigUInt64BE(at + 8));
    header = 16;
  } else if (size === 0) size = fileSize - pos;
  if (size < header || pos + size > fileSize) return undefined;
  return { type, size, header };
}

/** Reads ftyp+moov at the head of a segment file. */
export async function readInit(fh: Reader, fileSize: number): Promise<InitInfo> {
  let window = await fh.read(0, Math.min(fileSize, 64 * 1024));
  let pos = 0;
  let ftyp: Buffer | undefined;
  for (;;) {
    const h = topHeader(window, pos, pos, fileSize);
    if (h === 'short') { window = await fh.read(0, Math.min(fileSize, pos + 64 * 1024)); continue; }
    if (!h || h.type === 'moof' || h.type === 'mdat') throw new Mp4Error('no moov box at the head of the file');
    if ((h.type === 'ftyp' || h.type === 'moov') && pos + h.size > window.length) window = await fh.read(0, pos + h.size);
    if (h.type === 'ftyp') ftyp = window.subarray(pos, pos + h.size);
    if (h.type === 'moov') {
      const moov = window.subarray(pos, pos + h.size);
      const bytes = Buffer.concat(ftyp ? [ftyp, moov] : [moov]);
      return { ...parseMoov(bytes, ftyp?.length ?? 0, h.header, h.size), bytes, end: pos + h.size };
    }
    pos += h.size;
  }
}

function parseMoov(b: Buffer, moovAt: number, header: number, size: number): Omit<InitInfo, 'bytes' | 'end'> {
  const tracks = new Map<number, TrackInfo>();
  const keyParts: string[] = [];
  const described: string[] = [];
  const trex = new Map<number, { duration: number; flags: number }>();
  const tkhdDurations: FieldAt[] = [];
  let mvhdDuration: FieldAt | undefined;
  let mvhdTimescale = 1000;
  const walk = (from: number, to: number, trak: Partial<TrackInfo> & { stsd?: string; desc?: string }): void => {
    for (const box of boxes(b, from, to)) {
      const body = box.start + box.header;
      if (box.type === 'trak') {
        const t: Partial<TrackInfo> & { stsd?: string; desc?: string } = {};
        walk(body, box.start + box.size, t);
        if (t.id === undefined || !t.timescale) throw new Mp4Error('a trak without tkhd or mdhd');
        tracks.set(t.id, { id: t.id, timescale: t.timescale, handler: t.handler ?? '', defaultDuration: 0, defaultFlags: 0 });
        keyParts.push(`${t.id}:${t.timescale}:${t.stsd ?? ''}`);
        described.push(`${t.desc ?? t.handler ?? 'track'}`);
      } else if (CONTAINERS_IN_MOOV.has(box.type)) {
        walk(body, box.start + box.size, trak);
      } else if (box.type === 'mvhd') {
        const v1 = b[body] === 1;
        mvhdTimescale = b.readUInt32BE(body + (v1 ? 20 : 12));
        mvhdDuration = { pos: body + (v1 ? 24 : 16), width: v1 ? 8 : 4 };
      } else if (box.type === 'tkhd') {
        const v1 = b[body] === 1;
        trak.id = b.readUInt32BE(body + (v1 ? 20 : 12));
        tkhdDurations.push({ pos: body + (v1 ? 28 : 20), width: v1 ? 8 : 4 });
      } else if (box.type === 'mdhd') {
        trak.timescale = b.readUInt32BE(body + (b[body] === 1 ? 20 : 12));
      } else if (box.type === 'hdlr') {
        trak.handler = b.toString('latin1', body + 8, body + 12);
      } else if (box.type === 'stsd') {
        trak.stsd = b.toString('hex', box.start, box.start + box.size);
        // The first sample entry: its format, and for video its width and height.
        if (box.size >= box.header + 8 + 8 + 36) {
          const entry = body + 8;
          const format = b.toString('latin1', entry + 4, entry + 8);
          trak.desc = trak.handler === 'vide' ? `${format} ${b.readUInt16BE(entry + 32)}×${b.readUInt16BE(entry + 34)}` : format;
        }
      } else if (box.type === 'trex') {
        trex.set(b.readUInt32BE(body + 4), { duration: b.readUInt32BE(body + 12), flags: b.readUInt32BE(body + 20) });
      }
    }
  };
  walk(moovAt + header, moovAt + size, {});
  if (!tracks.size) throw new Mp4Error('the moov has no track');
  for (const [id, d] of trex) {
    const t = tracks.get(id);
    if (t) { t.defaultDuration = d.duration; t.defaultFlags = d.flags; }
  }
  const video = [...tracks.values()].find((t) => t.handler === 'vide');
  return {
    tracks, mainTrack: (video ?? [...tracks.values()][0]!).id, key: keyParts.join('|'), describe: described.join(' + '),
    mvhdDuration, tkhdDurations, mvhdTimescale,
  };
}

/** A moof's fields, given bytes that start with it (positions relative to its first byte). */
export function parseMoof(m: Buffer, tracks: Map<number, TrackInfo>): MoofInfo {
  let seq: FieldAt | undefined;
  const trafs: TrafInfo[] = [];
  const top = boxes(m, 0, m.length).next().value;
  if (!top || top.type !== 'moof') throw new Mp4Error('not a moof');
  for (const box of boxes(m, top.header, top.size)) {
    const body = box.start + box.header;
    if (box.type === 'mfhd') seq = { pos: body + 4, width: 4 };
    if (box.type !== 'traf') continue;
    let trackId = 0;
    let tfdt: FieldAt | undefined;
    let decodeTime = 0;
    let baseDataOffset: TrafInfo['baseDataOffset'];
    let defDuration: number | undefined;
    let defFlags: number | undefined;
    let duration = 0;
    let samples = 0;
    let firstIsSync: boolean | undefined;
    for (const c of boxes(m, body, box.start + box.size)) {
      const cb = c.start + c.header;
      if (c.type === 'tfhd') {
        const flags = m.readUInt32BE(cb) & 0xffffff;
        trackId = m.readUInt32BE(cb + 4);
        let p = cb + 8;
        if (flags & 0x1) { baseDataOffset = { pos: p, width: 8, value: Number(m.readBigUInt64BE(p)) }; p += 8; }
        if (flags & 0x2) p += 4;
        if (flags & 0x8) { defDuration = m.readUInt32BE(p); p += 4; }
        if (flags & 0x10) p += 4;
        if (flags & 0x20) defFlags = m.readUInt32BE(p);
      } else if (c.type === 'tfdt') {
        const v1 = m[cb] === 1;
        tfdt = { pos: cb + 4, width: v1 ? 8 : 4 };
        decodeTime = v1 ? Number(m.readBigUInt64BE(cb + 4)) : m.readUInt32BE(cb + 4);
      } else if (c.type === 'trun') {
        const track = tracks.get(trackId);
        const flags = m.readUInt32BE(cb) & 0xffffff;
        const count = m.readUInt32BE(cb + 4);
        let p = cb + 8;
        if (flags & 0x1) p += 4;
        let firstFlags: number | undefined;
        if (flags & 0x4) { firstFlags = m.readUInt32BE(p); p += 4; }
        const stride = ((flags & 0x100) ? 4 : 0) + ((flags & 0x200) ? 4 : 0) + ((flags & 0x400) ? 4 : 0) + ((flags & 0x800) ? 4 : 0);
        if (p + stride * count > c.start + c.size) throw new Mp4Error('a trun longer than its box');
        const dflt = defDuration ?? track?.defaultDuration ?? 0;
        if (flags & 0x100) for (let i = 0; i < count; i++) duration += m.readUInt32BE(p + i * stride);
        else duration += dflt * count;
        if (samples === 0 && count > 0) {
          const sampleFlags = firstFlags ?? ((flags & 0x400) ? m.readUInt32BE(p + ((flags & 0x100) ? 4 : 0) + ((flags & 0x200) ? 4 : 0)) : (defFlags ?? track?.defaultFlags ?? 0));
          firstIsSync = (sampleFlags & 0x10000) === 0;
        }
        samples += count;
      }
    }
    if (!tfdt) throw new Mp4Error('a fragment without tfdt (decode time)');
    trafs.push({ trackId, tfdt, decodeTime, duration, samples, firstIsSync: firstIsSync ?? false, baseDataOffset });
  }
  if (!seq) throw new Mp4Error('a moof without mfhd');
  return { size: top.size, seq, trafs };
}

/** The main track's traf of a moof. */
export function mainTraf(moof: MoofInfo, init: InitInfo): TrafInfo {
  const t = moof.trafs.find((x) => x.trackId === init.mainTrack);
  if (!t) throw new Mp4Error(`a fragment without track ${init.mainTrack}`);
  return t;
}

/** Reads and parses the moof at `offset`; `mdatEnd` is where the mdat right after it ends, if that is what follows. */
export async function readMoof(r: Reader, offset: number, fileSize: number, init: InitInfo): Promise<{ moof: MoofInfo; mdatEnd: number | undefined }> {
  let buf = await r.read(offset, Math.min(SCAN_WINDOW, fileSize - offset));
  const h = topHeader(buf, 0, offset, fileSize);
  if (!h || h === 'short' || h.type !== 'moof' || h.size > MAX_MOOF_BYTES) throw new Mp4Error(`no moof at byte ${offset}`);
  if (h.size + 16 > buf.length) buf = await r.read(offset, Math.min(h.size + 16, fileSize - offset));
  const next = topHeader(buf, h.size, offset + h.size, fileSize);
  const mdatEnd = next && next !== 'short' && next.type === 'mdat' ? offset + h.size + next.size : undefined;
  return { moof: parseMoof(buf, init.tracks), mdatEnd };
}

/**
 * Every complete fragment after the init, from the boxes themselves: one small read per fragment
 * (the moof and the header of the box after it), never the media. A fragment cut off by the end
 * of the file (a salvaged segment) and whatever follows the last one (mfra) are left out.
 */
export async function scanFragments(fh: Reader, fileSize: number, init: InitInfo): Promise<Fragment[]> {
  const out: Fragment[] = [];
  let pos = init.end;
  let win: Buffer = Buffer.alloc(0);
  let winAt = 0;
  const ensure = async (from: number, length: number): Promise<boolean> => {
    if (from >= winAt && from + length <= winAt + win.length) return true;
    win = await fh.read(from, Math.min(Math.max(length, SCAN_WINDOW), fileSize - from));
    winAt = from;
    return win.length >= length;
  };
  while (pos + 8 <= fileSize) {
    if (!(await ensure(pos, 16 > fileSize - pos ? 8 : 16))) break;
    const h = topHeader(win, pos - winAt, pos, fileSize);
    if (!h || h === 'short') break;
    if (h.type !== 'moof') { pos += h.size; continue; }
    if (h.size > MAX_MOOF_BYTES || !(await ensure(pos, Math.min(h.size + 16, fileSize - pos)))) break;
    const moof = parseMoof(win.subarray(pos - winAt, pos - winAt + h.size), init.tracks);
    // The fragment runs through the first mdat after the moof (trun offsets point into it).
    let end = pos + h.size;
    let complete = false;
    while (end + 8 <= fileSize) {
      if (!(await ensure(end, Math.min(16, fileSize - end)))) break;
      const next = topHeader(win, end - winAt, end, fileSize);
      if (!next || next === 'short' || next.type === 'moof') break;
      end += next.size;
      if (next.type === 'mdat') { complete = true; break; }
    }
    if (!complete) break;
    const main = mainTraf(moof, init);
    out.push({ offset: pos, end, moof: { decodeTime: main.decodeTime, duration: main.duration, firstIsSync: main.firstIsSync } });
    pos = end;
  }
  return out;
}

/**
 * Where the fragments are, from the file's own index: ffmpeg ends every fragmented file with an
 * mfra whose tfra lists each fragment's moof offset, found with two reads from the end instead
 * of one read per fragment. (Its times are presentation times, not decode times, so they are
 * not used.) Undefined when there is none or it does not add up (a salvaged file, another
 * writer, an index of keyframes only): then the boxes are scanned. The first and last moofs
 * are read, for where the segment's time starts and ends.
 */
export async function indexedFragments(r: Reader, fileSize: number, init: InitInfo): Promise<Fragment[] | undefined> {
  if (fileSize - init.end < 16) return undefined;
  const tail = await r.read(fileSize - 16, 16);
  if (tail.length !== 16 || tail.toString('latin1', 4, 8) !== 'mfro' || tail.readUInt32BE(0) !== 16) return undefined;
  const mfraSize = tail.readUInt32BE(12);
  const mfraAt = fileSize - mfraSize;
  if (mfraSize < 16 + 8 || mfraAt <= init.end || mfraSize > 64 * 1024 * 1024) return undefined;
  const mfra = await r.read(mfraAt, mfraSize);
  if (mfra.length !== mfraSize || mfra.toString('latin1', 4, 8) !== 'mfra') return undefined;
  let offsets: number[] | undefined;
  for (const box of boxes(mfra, 8, mfra.length)) {
    if (box.type !== 'tfra') continue;
    const b = box.start + box.header;
    const v1 = mfra[b] === 1;
    if (mfra.readUInt32BE(b + 4) !== init.mainTrack) continue;
    const lens = mfra.readUInt32BE(b + 8);
    const count = mfra.readUInt32BE(b + 12);
    const extra = ((lens >> 4) & 3) + 1 + ((lens >> 2) & 3) + 1 + (lens & 3) + 1;
    const stride = (v1 ? 16 : 8) + extra;
    if (b + 16 + stride * count > box.start + box.size) return undefined;
    offsets = [];
    for (let i = 0, p = b + 16; i < count; i++, p += stride) {
      const offset = v1 ? Number(mfra.readBigUInt64BE(p + 8)) : mfra.readUInt32BE(p + 4);
      // Several random-access samples may share a fragment: keep the fragment once.
      if (offset !== offsets[offsets.length - 1]) offsets.push(offset);
    }
  }
  if (!offsets?.length || offsets[0] !== init.end) return undefined;
  for (let i = 1; i < offsets.length; i++) if (offsets[i]! <= offsets[i - 1]! || offsets[i]! >= mfraAt) return undefined;
  const frags: Fragment[] = offsets.map((offset, i) => ({ offset, end: offsets![i + 1] ?? mfraAt }));
  for (const f of [frags[0]!, frags[frags.length - 1]!]) {
    const { moof, mdatEnd } = await readMoof(r, f.offset, fileSize, init);
    // An index that leaves fragments out (keyframes only, as the standard allows) would hide their moofs.
    if (mdatEnd !== f.end) return undefined;
    const t = mainTraf(moof, init);
    f.moof = { decodeTime: t.decodeTime, duration: t.duration, firstIsSync: t.firstIsSync };
  }
  return frags;
}

/** Writes an unsigned value into a 4- or 8-byte field of `buf` at `at`. */
export function writeField(buf: Buffer, at: number, width: 4 | 8, value: number): void {
  if (width === 8) buf.writeBigUInt64BE(BigInt(value), at);
  else {
    if (value > 0xffffffff) throw new Mp4Error('a 32-bit field would overflow');
    buf.writeUInt32BE(value, at);
  }
}
