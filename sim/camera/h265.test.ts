import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from 'onvif';
import { SimulatedCamera } from './index';
import { DEFAULT_VIDEO, ensureMediaFiles } from './media-files';
import { call, connectCam, ffprobeStream, run } from './test-helpers';

describe('simulated camera: H.265 (codec h265)', () => {
  let cam: SimulatedCamera;
  let workDir: string;

  beforeAll(async () => {
    cam = await SimulatedCamera.start({ name: 'Loading bay', username: 'admin', password: 'pw', codec: 'h265' });
    workDir = await mkdtemp(join(tmpdir(), 'sargs-sim-h265-'));
  }, 60_000);
  afterAll(async () => {
    await cam?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('reports Encoding H265 in both media profiles', async () => {
    expect(cam.codec).toBe('h265');
    const c = await connectCam({ hostname: cam.host, port: cam.onvifPort, username: 'admin', password: 'pw' });
    const profiles = await call<Profile[]>((cb) => c.getProfiles(cb));
    expect(profiles.map((p) => p.videoEncoderConfiguration?.encoding)).toEqual(['H265', 'H265']);
    expect(profiles[0]?.videoEncoderConfiguration).toMatchObject({ resolution: { width: 640, height: 360 }, rateControl: { frameRateLimit: 25 } });
    // Media (ver10) has no H.265 settings element; the H.264 one is left out rather than lying.
    expect(profiles[0]?.videoEncoderConfiguration).not.toHaveProperty('H264');
  });

  it('serves H.265 (Main) on the main stream and the sub-stream', async () => {
    const main = await ffprobeStream(cam.rtspUrl);
    expect(main, main.stderr).toMatchObject({ ok: true, codec: 'hevc', width: 640, height: 360, fps: '25/1' });
    const sub = await ffprobeStream(cam.subRtspUrl);
    expect(sub, sub.stderr).toMatchObject({ ok: true, codec: 'hevc', width: 320, height: 180, fps: '25/1' });
  });

  it('can be recorded with -c copy into fragmented MP4 across loop points, a keyframe every GOP, and decoded cleanly', async () => {
    const out = join(workDir, 'loop.mp4');
    // 9 s spans two loops of the 4 s clip; fragmented MP4 as the recorder writes it.
    const rec = await run('/usr/bin/ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-rtsp_transport', 'tcp',
      '-i', cam.rtspUrl, '-c', 'copy', '-t', '9', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-y', out], 30_000);
    expect(rec.code, rec.stderr).toBe(0);
    // The RTSP demuxer's first packet without a timestamp, as with H.264 (rtsp.test.ts); nothing else.
    const complaints = rec.stderr.split('\n').filter((l) => /monoton|timestamp/i.test(l) && !/Timestamps are unset in a packet/.test(l) && !/previous: 0, current: 0/.test(l));
    expect(complaints).toEqual([]);

    const packets = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts_time,flags', '-of', 'csv=p=0', out]);
    expect(packets.code, packets.stderr).toBe(0);
    const rows = packets.stdout.trim().split('\n').map((l) => l.split(','));
    const dts = rows.slice(1).map((r) => Number(r[0]));
    expect(dts.length).toBeGreaterThan(200);
    for (let i = 1; i < dts.length; i++) expect(dts[i]).toBeGreaterThan(dts[i - 1] ?? -Infinity);
    // Keyframes exactly a GOP (50 frames) apart: fixed GOP, no scene cuts, also across the loop point.
    const keys = rows.flatMap((r, i) => (r[1]?.startsWith('K') ? [i] : []));
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < keys.length; i++) expect(keys[i]! - keys[i - 1]!).toBe(50);

    const decode = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', out, '-f', 'null', '-']);
    expect(decode.code).toBe(0);
    expect(decode.stderr.trim()).toBe('');
  }, 40_000);

  it('caches its clips apart from the H.264 ones of the same format', async () => {
    const [h264, h265] = await Promise.all([ensureMediaFiles(DEFAULT_VIDEO), ensureMediaFiles(DEFAULT_VIDEO, undefined, 'h265')]);
    expect(h264.clip).toMatch(/\.h264$/);
    expect(h265.clip).toMatch(/\.h265$/);
    const codec = await run('/usr/bin/ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,profile', '-of', 'csv=p=0', h265.clip]);
    expect(codec.stdout.trim()).toBe('hevc,Main');
  });

  it('setCodec switches a running H.264 camera to H.265 in place: same port and profiles, new encoding', async () => {
    const other = await SimulatedCamera.start({ name: 'Switched', username: 'admin', password: 'pw' });
    try {
      const port = other.rtspPort;
      expect(await ffprobeStream(other.rtspUrl)).toMatchObject({ ok: true, codec: 'h264' });
      await other.setCodec('h265');
      expect(other.codec).toBe('h265');
      expect(other.rtspPort).toBe(port);
      const main = await ffprobeStream(other.rtspUrl);
      expect(main, main.stderr).toMatchObject({ ok: true, codec: 'hevc', width: 640, height: 360 });
      const c = await connectCam({ hostname: other.host, port: other.onvifPort, username: 'admin', password: 'pw' });
      const profiles = await call<Profile[]>((cb) => c.getProfiles(cb));
      expect(profiles.map((p) => [p.$.token, p.videoEncoderConfiguration?.encoding])).toEqual([['Profile_1', 'H265'], ['Profile_2', 'H265']]);
    } finally {
      await other.stop();
    }
  });

  it('refuses h265 for a clock camera, which encodes live with x264', async () => {
    await expect(SimulatedCamera.start({ name: 'Clock', username: 'admin', password: 'pw', clock: true, codec: 'h265' }))
      .rejects.toThrow(/clock camera encodes live with x264 and cannot stream h265/);
  });
});
