// ISO BMFF (MP4) boxes as a live fragmenter needs them: a splitter that cuts a byte stream into
// top-level boxes as they arrive, and readers for the few boxes that say what a stream is (the
// sample entry and its avcC/hvcC) and whether a fragment starts with a sync sample (tfhd, trun, trex).

/** One top-level box, header included. */
export interface Box {
  type: string;
  data: Buffer;
}

/** A top-level box larger than this is not a live fragment: the stream is broken. */
export const MAX_BOX_BYTES = 64 * 1024 * 1024;

/**
 * Cuts a stream of bytes into whole top-level boxes. Chunks may split a box anywhere (even its
 * header); what is left over waits for the next chunk. Throws on a box that cannot be (size below
 * its header, a "to the end of the file" size of 0, or larger than MAX_BOX_BYTES).
 */
export class BoxSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(chunk: Buffer): Box[] {
    if (chunk.length) { this.pending.push(chunk); this.pendingBytes += chunk.length; }
    const out: Box[] = [];
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let at = 0;
    while (buf.length - at >= 8) {
      let size = buf.readUInt32BE(at);
      let header = 8;
      if (size === 1) {
        if (buf.length - at < 16) break;
        const big = buf.readBigUInt64BE(at + 8);
        if (big > BigInt(MAX_BOX_BYTES)) throw new Error(`an MP4 box of ${big} bytes is too large for a live stream`);
        size = Number(big);
        header = 16;
      }
      if (size === 0) throw new Error('an MP4 box that runs to the end of the file cannot be streamed');
      if (size < header) throw new Error(`an MP4 box claims ${size} bytes, less than its header`);
      if (size > MAX_BOX_BYTES) throw new Error(`an MP4 box of ${size} bytes is too large for a live stream`);
      if (buf.length - at < size) break;
      out.push({ type: buf.toString('latin1', at + 4, at + 8), data: buf.subarray(at, at + size) });
      at += size;
    }
    const rest = buf.subarray(at);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }

  /** Bytes waiting for the rest of their box. */
  get buffered(): number { return this.pendingBytes; }
}

/** The children of a box whose payload starts `skip` bytes after its 8-byte header (4 for full boxes with version/flags). */
export function children(box: Buffer, skip = 0): Box[] {
  const out: Box[] = [];
  let at = 8 + skip;
  while (box.length - at >= 8) {
    let size = box.readUInt32BE(at);
    if (size === 1 && box.length - at >= 16) size = Number(box.readBigUInt64BE(at + 8));
    else if (size === 0) size = box.length - at;
    if (size < 8 || at + size > box.length) break;
    out.push({ type: box.toString('latin1', at + 4, at + 8), data: box.subarray(at, at + size) });
    at += size;
  }
  return out;
}

/** The first box of `type` down a path of container types (`find(moov, 'trak', 'mdia')`). */
export function find(box: Buffer, ...path: string[]): Buffer | undefined {
  let cur: Buffer | undefined = box;
  for (const type of path) {
    cur = children(cur).find((b) => b.type === type)?.data;
    if (!cur) return undefined;
  }
  return cur;
}

/** `sample_is_non_sync_sample` in the sample flags (ISO/IEC 14496-12 8.8.3.1). */
export const SAMPLE_IS_NON_SYNC = 0x10000;

/** trex default_sample_flags per track id, from a moov's mvex. */
export function trexDefaults(moov: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  const mvex = find(moov, 'mvex');
  for (const b of mvex ? children(mvex) : []) {
    // trex: version/flags, track_ID, default_sample_description_index, _duration, _size, _flags.
    if (b.type === 'trex' && b.data.length >= 32) out.set(b.data.readUInt32BE(12), b.data.readUInt32BE(28));
  }
  return out;
}

/**
 * The sample flags of a fragment's first sample, from (in order of precedence) trun's
 * first_sample_flags, trun's per-sample flags, tfhd's default_sample_flags or the trex default.
 * Undefined when the moof says nothing and no default is known.
 */
export function firstSampleFlags(moof: Buffer, trex: ReadonlyMap<number, number>): number | undefined {
  const traf = find(moof, 'traf');
  if (!traf) return undefined;
  const boxes = children(traf);
  const tfhd = boxes.find((b) => b.type === 'tfhd')?.data;
  const trun = boxes.find((b) => b.type === 'trun')?.data;
  let fallback: number | undefined;
  if (tfhd && tfhd.length >= 16) {
    const flags = tfhd.readUInt32BE(8) & 0xffffff;
    const trackId = tfhd.readUInt32BE(12);
    fallback = trex.get(trackId);
    let at = 16;
    if (flags & 0x01) at += 8; // base_data_offset
    if (flags & 0x02) at += 4; // sample_description_index
    if (flags & 0x08) at += 4; // default_sample_duration
    if (flags & 0x10) at += 4; // default_sample_size
    if (flags & 0x20 && tfhd.length >= at + 4) fallback = tfhd.readUInt32BE(at);
  }
  if (!trun || trun.length < 16) return fallback;
  const flags = trun.readUInt32BE(8) & 0xffffff;
  const count = trun.readUInt32BE(12);
  let at = 16;
  if (flags & 0x01) at += 4; // data_offset
  if (flags & 0x04) return trun.length >= at + 4 ? trun.readUInt32BE(at) : fallback;
  if (!(flags & 0x400) || count === 0) return fallback;
  if (flags & 0x100) at += 4; // the first sample's duration
  if (flags & 0x200) at += 4; // and size come before its flags
  return trun.length >= at + 4 ? trun.readUInt32BE(at) : fallback;
}

/** What a browser needs to know of a video track before it plays it. */
export interface VideoTrackInfo {
  /** RFC 6381 codec string for MediaSource.isTypeSupported: avc1.64001f, hvc1.1.6.L93.B0 */
  codec: string;
  width: number;
  height: number;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** The first video track of a moov: its sample entry's size and codec string. Undefined if none is H.264 or H.265. */
export function videoTrackInfo(moov: Buffer): VideoTrackInfo | undefined {
  for (const trak of children(moov).filter((b) => b.type === 'trak')) {
    const stsd = find(trak.data, 'mdia', 'minf', 'stbl', 'stsd');
    // stsd: full box header (4) and entry_count (4) before the entries.
    for (const entry of stsd ? children(stsd, 8) : []) {
      const e = entry.data;
      if (e.length < 86) continue;
      // VisualSampleEntry: 8 header, 6 reserved, 2 index, 16 pre-defined/reserved, then width, height; 78 bytes before its boxes.
      const width = e.readUInt16BE(32);
      const height = e.readUInt16BE(34);
      const boxes = children(e, 78);
      if (entry.type === 'avc1' || entry.type === 'avc3') {
        const avcC = boxes.find((b) => b.type === 'avcC')?.data;
        if (!avcC || avcC.length < 12) continue;
        return { codec: `${entry.type}.${hex2(avcC[9]!)}${hex2(avcC[10]!)}${hex2(avcC[11]!)}`, width, height };
      }
      if (entry.type === 'hvc1' || entry.type === 'hev1') {
        const hvcC = boxes.find((b) => b.type === 'hvcC')?.data;
        if (!hvcC || hvcC.length < 21) continue;
        return { codec: hevcCodec(entry.type, hvcC.subarray(8)), width, height };
      }
    }
  }
  return undefined;
}

/** ISO/IEC 14496-15 Annex E: `hvc1.<space><profile>.<compat reversed>.<tier><level>[.<constraints>]`. */
function hevcCodec(type: string, c: Buffer): string {
  const space = ['', 'A', 'B', 'C'][c[1]! >> 6] ?? '';
  const tier = c[1]! & 0x20 ? 'H' : 'L';
  const profile = c[1]! & 0x1f;
  let compat = c.readUInt32BE(2);
  let reversed = 0;
  for (let i = 0; i < 32; i++) { reversed = (reversed << 1) | (compat & 1); compat >>>= 1; }
  const constraints = [...c.subarray(6, 12)];
  while (constraints.length && constraints[constraints.length - 1] === 0) constraints.pop();
  const level = c[12]!;
  return [`${type}.${space}${profile}`, (reversed >>> 0).toString(16).toUpperCase(), `${tier}${level}`, ...constraints.map((b) => b.toString(16).toUpperCase())].join('.');
}
