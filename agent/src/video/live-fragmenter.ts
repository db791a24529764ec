import { LivePacket } from '@sargs/shared';
import { BoxSplitter, SAMPLE_IS_NON_SYNC, firstSampleFlags, trexDefaults, videoTrackInfo, type Box, type VideoTrackInfo } from './fmp4-boxes';

/** One piece of the live stream, framed for the media link: a LivePacket flag byte, then fMP4. */
export type LiveChunk =
  | { kind: 'init'; packet: Buffer; info: VideoTrackInfo }
  | { kind: 'fragment'; packet: Buffer; keyframe: boolean };

/**
 * Turns ffmpeg's fragmented MP4 (empty_moov, one fragment per frame) into media-link packets:
 * ftyp+moov as the init (its codec string and size read from the sample entry), then each
 * moof+mdat pair as one packet, flagged as a keyframe when the fragment's first sample is a sync
 * sample. Anything else at the top level (free, sidx, the mfra trailer) is dropped.
 */
export class LiveFragmenter {
  private readonly splitter = new BoxSplitter();
  private ftyp: Buffer | undefined;
  private moof: Buffer | undefined;
  private trex = new Map<number, number>();
  private gotInit = false;

  /** Throws when the stream is not fMP4 we can use (a box too large, no H.264/H.265 track). */
  push(chunk: Buffer): LiveChunk[] {
    const out: LiveChunk[] = [];
    for (const box of this.splitter.push(chunk)) {
      const c = this.box(box);
      if (c) out.push(c);
    }
    return out;
  }

  private box(box: Box): LiveChunk | undefined {
    switch (box.type) {
      case 'ftyp':
        this.ftyp = Buffer.from(box.data);
        return undefined;
      case 'moov': {
        const info = videoTrackInfo(box.data);
        if (!info) throw new Error('the camera stream has no H.264 or H.265 video track');
        this.trex = trexDefaults(box.data);
        this.gotInit = true;
        return { kind: 'init', packet: packet(LivePacket.init, this.ftyp ?? Buffer.alloc(0), box.data), info };
      }
      case 'moof':
        this.moof = Buffer.from(box.data);
        return undefined;
      case 'mdat': {
        const moof = this.moof;
        this.moof = undefined;
        if (!moof || !this.gotInit) return undefined;
        const flags = firstSampleFlags(moof, this.trex);
        const keyframe = flags !== undefined && (flags & SAMPLE_IS_NON_SYNC) === 0;
        return { kind: 'fragment', packet: packet(keyframe ? LivePacket.keyframe : 0, moof, box.data), keyframe };
      }
      default:
        return undefined;
    }
  }
}

function packet(flag: number, a: Buffer, b: Buffer): Buffer {
  const p = Buffer.allocUnsafe(1 + a.length + b.length);
  p[0] = flag;
  a.copy(p, 1);
  b.copy(p, 1 + a.length);
  return p;
}
