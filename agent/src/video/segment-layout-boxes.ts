// ISO BMFF (MP4) boxes as recorded playback needs them: the video track of a moov (codec, size,
// timescale, fragment defaults) and each moof's timing (tfdt, trun). Headers and small boxes only:
// the caller reads moov and moof into memory, never an mdat. Kept apart from the live fragmenter's
// box code on purpose: the two read different things and change for different reasons.

/** A box inside a buffer: its type and where its content lies. */
export interface Box { type: string; start: number; contentStart: number; end: number }

/** The boxes directly inside buf[from, to). Stops at a malformed header rather than reading past it. */
export function childBoxes(buf: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) break;
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) break;
    out.push({ type, start: at, contentStart: at + header, end: at + size });
    at += size;
  }
  return out;
}

function child(buf: Buffer, box: Box, type: string): Box | undefined {
  return childBoxes(buf, box.contentStart, box.end).find((b) => b.type === type);
}

/** Follows a path of box types down from `box`. */
function path(buf: Buffer, box: Box, ...types: string[]): Box | undefined {
  let b: Box | undefined = box;
  for (const t of types) b = b && child(buf, b, t);
  return b;
}

/** The video track of a moov, with what fragment parsing needs. */
export interface VideoTrack {
  trackId: number;
  timescale: number;
  /** MSE/HLS codec string (avc1.PPCCLL for H.264); the sample entry's type when it is not H.264. */
  codec: string;
  width: number;
  height: number;
  defaultDuration: number;
  defaultFlags: number;
}

/** Reads the video track from a moov box's bytes (the whole box, header included). Undefined if there is none. */
export function parseMoov(buf: Buffer): VideoTrack | undefined {
  const [moov] = childBoxes(buf, 0, buf.length);
  if (!moov || moov.type !== 'moov') return undefined;
  const top = childBoxes(buf, moov.contentStart, moov.end);
  const traks = top.filter((b) => b.type === 'trak');
  for (const trak of traks) {
    const hdlr = path(buf, trak, 'mdia', 'hdlr');
    if (!hdlr || buf.toString('latin1', hdlr.contentStart + 8, hdlr.contentStart + 12) !== 'vide') continue;
    const tkhd = child(buf, trak, 'tkhd');
    const mdhd = path(buf, trak, 'mdia', 'mdhd');
    const stsd = path(buf, trak, 'mdia', 'minf', 'stbl', 'stsd');
    if (!tkhd || !mdhd || !stsd) continue;
    const trackId = buf.readUInt32BE(tkhd.contentStart + (buf[tkhd.contentStart] === 1 ? 20 : 12));
    const timescale = buf.readUInt32BE(mdhd.contentStart + (buf[mdhd.contentStart] === 1 ? 20 : 12));
    const entry = sampleEntry(buf, stsd);
    const trex = top.filter((b) => b.type === 'mvex').flatMap((m) => childBoxes(buf, m.contentStart, m.end))
      .find((b) => b.type === 'trex' && buf.readUInt32BE(b.contentStart + 4) === trackId);
    return {
      trackId, timescale: timescale || 90_000, ...entry,
      defaultDuration: trex ? buf.readUInt32BE(trex.contentStart + 12) : 0,
      defaultFlags: trex ? buf.readUInt32BE(trex.contentStart + 20) : 0,
    };
  }
  return undefined;
}

/** The first sample entry of an stsd: codec string and coded size. */
function sampleEntry(buf: Buffer, stsd: Box): { codec: string; width: number; height: number } {
  // stsd: version+flags (4), entry_count (4), then the entries.
  const [entry] = childBoxes(buf, stsd.contentStart + 8, stsd.end);
  if (!entry) return { codec: '', width: 0, height: 0 };
  // VisualSampleEntry: 6 reserved, data_reference_index (2), 16 pre-defined/reserved, width (2), height (2) … 78 bytes in all.
  const c = entry.contentStart;
  const width = c + 28 <= entry.end ? buf.readUInt16BE(c + 24) : 0;
  const height = c + 28 <= entry.end ? buf.readUInt16BE(c + 26) : 0;
  let codec = entry.type;
  if (entry.type === 'avc1' || entry.type === 'avc3') {
    const avcC = childBoxes(buf, c + 78, entry.end).find((b) => b.type === 'avcC');
    if (avcC && avcC.contentStart + 4 <= avcC.end) {
      const hex = (i: number) => (buf[avcC.contentStart + i] ?? 0).toString(16).padStart(2, '0');
      codec = `${entry.type}.${hex(1)}${hex(2)}${hex(3)}`;
    }
  }
  return { codec, width, height };
}

/** One moof's timing for the video track. */
export interface FragmentTiming {
  /** tfdt: decode time of the first sample, in the track's timescale. */
  decodeTime: number;
  /** Sum of the samples' durations, in the track's timescale. */
  duration: number;
  samples: number;
  /** The first sample is a sync sample (a keyframe). */
  keyframe: boolean;
}

// Sample flags: sample_is_non_sync_sample.
const NON_SYNC = 0x10000;

/** Reads a moof box's bytes (header included) for the given track; undefined if it has no run of that track. */
export function parseMoof(buf: Buffer, track: Pick<VideoTrack, 'trackId' | 'defaultDuration' | 'defaultFlags'>): FragmentTiming | undefined {
  const [moof] = childBoxes(buf, 0, buf.length);
  if (!moof || moof.type !== 'moof') return undefined;
  for (const traf of childBoxes(buf, moof.contentStart, moof.end).filter((b) => b.type === 'traf')) {
    const boxes = childBoxes(buf, traf.contentStart, traf.end);
    const tfhd = boxes.find((b) => b.type === 'tfhd');
    if (!tfhd || buf.readUInt32BE(tfhd.contentStart + 4) !== track.trackId) continue;
    const hf = buf.readUInt32BE(tfhd.contentStart) & 0xffffff;
    let at = tfhd.contentStart + 8;
    if (hf & 0x1) at += 8; // base_data_offset
    if (hf & 0x2) at += 4; // sample_description_index
    let defaultDuration = track.defaultDuration;
    let defaultFlags = track.defaultFlags;
    if (hf & 0x8) { defaultDuration = buf.readUInt32BE(at); at += 4; }
    if (hf & 0x10) at += 4; // default_sample_size
    if (hf & 0x20) defaultFlags = buf.readUInt32BE(at);
    const tfdt = boxes.find((b) => b.type === 'tfdt');
    const decodeTime = !tfdt ? 0 : buf[tfdt.contentStart] === 1 ? Number(buf.readBigUInt64BE(tfdt.contentStart + 4)) : buf.readUInt32BE(tfdt.contentStart + 4);
    let duration = 0;
    let samples = 0;
    let firstFlags: number | undefined;
    for (const trun of boxes.filter((b) => b.type === 'trun')) {
      const rf = buf.readUInt32BE(trun.contentStart) & 0xffffff;
      const count = buf.readUInt32BE(trun.contentStart + 4);
      let p = trun.contentStart + 8;
      if (rf & 0x1) p += 4; // data_offset
      let first: number | undefined;
      if (rf & 0x4) { first = buf.readUInt32BE(p); p += 4; }
      const per = ((rf & 0x100) ? 4 : 0) + ((rf & 0x200) ? 4 : 0) + ((rf & 0x400) ? 4 : 0) + ((rf & 0x800) ? 4 : 0);
      if (p + per * count > trun.end) return undefined; // a run longer than its box: damaged
      for (let i = 0; i < count; i++, p += per) {
        let q = p;
        if (rf & 0x100) { duration += buf.readUInt32BE(q); q += 4; } else duration += defaultDuration;
        if (rf & 0x200) q += 4;
        if (i === 0 && first === undefined) first = (rf & 0x400) ? buf.readUInt32BE(q) : defaultFlags;
      }
      if (samples === 0 && count > 0) firstFlags = first;
      samples += count;
    }
    if (samples === 0) return undefined;
    return { decodeTime, duration, samples, keyframe: ((firstFlags ?? defaultFlags) & NON_SYNC) === 0 };
  }
  return undefined;
}
