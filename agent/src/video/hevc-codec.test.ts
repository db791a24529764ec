// The RFC 6381 codec string of an H.265 track (ISO/IEC 14496-15 Annex E), read from the hvcC of
// real ffmpeg/x265 inits and checked field by field against what ffprobe reads from the stream:
// `<hvc1|hev1>.<profile space><profile idc>.<compatibility flags, bit-reversed, hex>.<tier><level>.<constraint bytes>`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoxSplitter, videoTrackInfo } from './fmp4-boxes';
import { LiveFragmenter } from './live-fragmenter';

const dir = mkdtempSync(join(tmpdir(), 'sargs-hevc-codec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A few frames of x265 in fragmented MP4 as the live ffmpeg writes it, and ffprobe's profile and level for them. */
function hevcInit(pixFmt: string, tag?: string): { bytes: Buffer; profile: string; level: number } {
  const file = join(dir, `${pixFmt}-${tag ?? 'default'}.mp4`);
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25',
    '-frames:v', '5', '-pix_fmt', pixFmt, '-c:v', 'libx265', '-x265-params', 'log-level=error:bframes=0', ...(tag ? ['-tag:v', tag] : []),
    '-f', 'mp4', '-movflags', 'empty_moov+default_base_moof+frag_every_frame', '-y', file]);
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=profile,level', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const [profile = '', level = ''] = probe.stdout.trim().split(',');
  return { bytes: readFileSync(file), profile, level: Number(level) };
}

function moovOf(bytes: Buffer): Buffer {
  const moov = new BoxSplitter().push(bytes).find((b) => b.type === 'moov');
  if (!moov) throw new Error('no moov');
  return moov.data;
}

describe('H.265 codec string from hvcC', () => {
  // x265 writes profile space 0 and Main tier; Main is compatible with Main and Main 10 (flags 1 and 2,
  // bit-reversed 0x6), Main 10 with Main 10 only (0x4); its constraint flags say progressive, frame-only
  // (0x90) and the other five bytes are zero, left out.
  it('Main, as hvc1 (the live ffmpeg\'s tag for a camera reported as H.265)', () => {
    const init = hevcInit('yuv420p', 'hvc1');
    expect(init.profile).toBe('Main');
    expect(videoTrackInfo(moovOf(init.bytes))).toEqual({ codec: `hvc1.1.6.L${init.level}.90`, width: 320, height: 180 });
    // What the live fragmenter hands on in the init packet's head.
    const [first] = new LiveFragmenter().push(init.bytes);
    expect(first?.kind === 'init' && first.info.codec).toBe(`hvc1.1.6.L${init.level}.90`);
  });

  it('Main, as hev1 (ffmpeg\'s default tag, for an H.265 stream the agent took for H.264)', () => {
    const init = hevcInit('yuv420p');
    expect(videoTrackInfo(moovOf(init.bytes))?.codec).toBe(`hev1.1.6.L${init.level}.90`);
  });

  it('Main 10', () => {
    const init = hevcInit('yuv420p10le', 'hvc1');
    expect(init.profile).toBe('Main 10');
    expect(videoTrackInfo(moovOf(init.bytes))?.codec).toBe(`hvc1.2.4.L${init.level}.90`);
  });
});
