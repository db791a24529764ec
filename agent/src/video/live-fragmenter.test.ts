// The live fragmenter on real ffmpeg output: fMP4 written the way the live ffmpeg writes it
// (empty_moov, default_base_moof, frag_every_frame), cut into boxes in any chunking, with
// keyframes found where ffprobe finds them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LivePacket } from '@sargs/shared';
import { BoxSplitter, SAMPLE_IS_NON_SYNC, children, find, firstSampleFlags, trexDefaults, type Box } from './fmp4-boxes';
import { LiveFragmenter, type LiveChunk } from './live-fragmenter';
import { LiveSender } from './live-sender';

const dir = mkdtempSync(join(tmpdir(), 'sargs-fragmenter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `frames` frames of testsrc encoded and fragmented per frame by ffmpeg, and ffprobe's keyframe flags for them. */
function encode(codecArgs: string[], frames: number): { bytes: Buffer; keyframes: boolean[] } {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25',
    '-frames:v', String(frames), '-pix_fmt', 'yuv420p', ...codecArgs,
    '-f', 'mp4', '-movflags', 'empty_moov+default_base_moof+frag_every_frame', '-flush_packets', '1', 'pipe:1'], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  const file = join(dir, `clip-${Math.random().toString(36).slice(2)}.mp4`);
  writeFileSync(file, r.stdout);
  const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=flags', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return { bytes: r.stdout, keyframes: probe.stdout.trim().split('\n').map((l) => l.startsWith('K')) };
}

function feed(bytes: Buffer, sizes: () => number): LiveChunk[] {
  const f = new LiveFragmenter();
  const out: LiveChunk[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = Math.max(1, sizes());
    out.push(...f.push(bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

describe('live fragmenter on ffmpeg output', () => {
  const h264 = encode(['-c:v', 'libx264', '-profile:v', 'high', '-g', '10', '-keyint_min', '10', '-sc_threshold', '0', '-bf', '0'], 50);

  it('splits the stream into ftyp, moov, then moof+mdat pairs, however it is chunked', () => {
    const whole = new BoxSplitter().push(h264.bytes);
    expect(whole.slice(0, 2).map((b) => b.type)).toEqual(['ftyp', 'moov']);
    const pairs = whole.slice(2).filter((b) => b.type === 'moof' || b.type === 'mdat').map((b) => b.type);
    expect(pairs.length).toBe(100);
    expect(pairs.every((t, i) => t === (i % 2 ? 'mdat' : 'moof'))).toBe(true);
    expect(Buffer.concat(whole.map((b) => b.data)).equals(h264.bytes)).toBe(true);

    let seed = 7;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed; };
    for (const sizes of [() => 1, () => 3, () => 8, () => random() % 5000, () => 1 << 20]) {
      const s = new BoxSplitter();
      const got: Box[] = [];
      for (let at = 0; at < h264.bytes.length;) {
        const n = Math.max(1, sizes());
        got.push(...s.push(h264.bytes.subarray(at, at + n)));
        at += n;
      }
      expect(got.map((b) => b.type)).toEqual(whole.map((b) => b.type));
      expect(Buffer.concat(got.map((b) => b.data)).equals(h264.bytes)).toBe(true);
      expect(s.buffered).toBe(0);
    }
  });

  it('makes an init packet with the codec string and size, then one packet per frame flagged where ffprobe sees keyframes', () => {
    const chunks = feed(h264.bytes, () => 1000);
    const [init, ...frags] = chunks;
    expect(init?.kind).toBe('init');
    if (init?.kind !== 'init') return;
    expect(init.info).toEqual({ codec: expect.stringMatching(/^avc1\.64[0-9a-f]{2}0c$/), width: 320, height: 180 });
    expect(init.packet[0]).toBe(LivePacket.init);
    expect(init.packet.toString('latin1', 5, 9)).toBe('ftyp');
    expect(h264.keyframes.length).toBe(50);
    expect(frags.map((f) => f.kind === 'fragment' && f.keyframe)).toEqual(h264.keyframes);
    expect(h264.keyframes.filter(Boolean).length).toBe(5);
    for (const f of frags) {
      if (f.kind !== 'fragment') continue;
      expect(f.packet[0]).toBe(f.keyframe ? LivePacket.keyframe : 0);
      expect(f.packet.toString('latin1', 5, 9)).toBe('moof');
    }
  });

  it('finds keyframes with B-frames too, and reads an H.265 stream as hvc1', () => {
    const b = encode(['-c:v', 'libx264', '-g', '12', '-keyint_min', '12', '-sc_threshold', '0', '-bf', '2'], 36);
    const frags = feed(b.bytes, () => 4096).filter((c) => c.kind === 'fragment');
    expect(frags.map((f) => f.kind === 'fragment' && f.keyframe)).toEqual(b.keyframes);
    expect(b.keyframes.filter(Boolean).length).toBe(3);

    const hevc = encode(['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=10:min-keyint=10:scenecut=0:bframes=0', '-tag:v', 'hvc1'], 20);
    const [init, ...rest] = feed(hevc.bytes, () => 777);
    expect(init?.kind === 'init' && init.info).toEqual({ codec: expect.stringMatching(/^hvc1\.1\.6\.L\d+(\.[0-9A-F]{1,2})*$/), width: 320, height: 180 });
    expect(rest.map((f) => f.kind === 'fragment' && f.keyframe)).toEqual(hevc.keyframes);
  });

  it('takes the first sample flags from trun, then per-sample flags, then tfhd, then trex', () => {
    const whole = new BoxSplitter().push(h264.bytes);
    const moov = whole[1]!.data;
    const trackId = [...trexDefaults(moov).keys()][0] ?? 1;
    const box = (type: string, ...parts: Buffer[]) => {
      const body = Buffer.concat(parts);
      const head = Buffer.alloc(8);
      head.writeUInt32BE(8 + body.length);
      head.write(type, 4, 'latin1');
      return Buffer.concat([head, body]);
    };
    const u32 = (...n: number[]) => { const b = Buffer.alloc(4 * n.length); n.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4)); return b; };
    const moof = (tfhd: Buffer, trun: Buffer) => box('moof', box('mfhd', u32(0, 1)), box('traf', tfhd, trun));
    const sync = 0x02000000;
    const nonSync = 0x01010000;
    const trex = new Map([[trackId, nonSync]]);
    // trun with data_offset + first_sample_flags.
    expect(firstSampleFlags(moof(box('tfhd', u32(0x20000, trackId)), box('trun', u32(0x000005, 1, 100, sync))), trex)).toBe(sync);
    // trun with duration, size and flags per sample: the first sample's.
    expect(firstSampleFlags(moof(box('tfhd', u32(0x20000, trackId)), box('trun', u32(0x000701, 2, 100, 40, 500, sync, 40, 20, nonSync))), trex)).toBe(sync);
    // tfhd default_sample_flags (after a default duration).
    expect(firstSampleFlags(moof(box('tfhd', u32(0x20028, trackId, 3600, sync)), box('trun', u32(0x000301, 1, 100, 40, 500))), trex)).toBe(sync);
    // Nothing in the moof: the trex default.
    expect(firstSampleFlags(moof(box('tfhd', u32(0x20000, trackId)), box('trun', u32(0x000001, 1, 100))), trex)! & SAMPLE_IS_NON_SYNC).toBeTruthy();
    expect(find(moof(box('tfhd', u32(0, 1)), box('trun', u32(0, 0))), 'traf', 'trun')).toBeDefined();
    expect(children(moov).some((b) => b.type === 'mvex')).toBe(true);
  });

  it('refuses a box that cannot be streamed', () => {
    expect(() => new BoxSplitter().push(Buffer.from([0, 0, 0, 4, 0x6d, 0x6f, 0x6f, 0x66]))).toThrow(/less than its header/);
    expect(() => new BoxSplitter().push(Buffer.from([0, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74]))).toThrow(/end of the file/);
    expect(() => new BoxSplitter().push(Buffer.from([0x7f, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74]))).toThrow(/too large/);
  });
});

describe('live sender', () => {
  it('sends the head with the first init, and after a refused fragment drops up to the next keyframe, resending a refused init', () => {
    const chunks = feed(encode(['-c:v', 'libx264', '-g', '5', '-keyint_min', '5', '-sc_threshold', '0', '-bf', '0'], 20).bytes, () => 65536);
    const heads: unknown[] = [];
    const pushed: Buffer[] = [];
    // Push calls: 0 = the init (refused), 1 = the init again at frame 5, 2 = frame 5, 3 = frame 6, 4 = frame 7 (refused).
    const refuse = new Set([0, 4]);
    let call = 0;
    const sender = new LiveSender({ head: (m) => heads.push(m), push: (p) => { if (refuse.has(call++)) return false; pushed.push(p); return true; } }, 'Profile_2');
    for (const c of chunks) sender.send(c);
    expect(heads).toEqual([{ codec: expect.stringMatching(/^avc1\./), width: 320, height: 180, profileToken: 'Profile_2' }]);
    // Frames 0-4 are lost with the refused init, 7 is refused and 8-9 wait for the keyframe at 10.
    expect(pushed.map((p) => p[0])).toEqual([LivePacket.init, LivePacket.keyframe, 0, ...[LivePacket.keyframe, 0, 0, 0, 0], ...[LivePacket.keyframe, 0, 0, 0, 0]]);
    expect(sender.dropped).toBe(5 + 1 + 2);
    expect(sender.sent).toBe(2 + 10);
  });
});
