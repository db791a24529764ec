import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readClockFromRgba } from './clock-pattern';
import { SimulatedCamera } from './index';
import { FfmpegReader, ffprobeStream, run, soap } from './test-helpers';

const FPS = 25;
const FRAME_MS = 1000 / FPS;

interface Recording {
  seconds: number;
  /** Date.now() just before ffmpeg started and just after it ended. */
  startedAt: number;
  endedAt: number;
  /** The clock read from every decoded frame, in decoding order (null: unreadable). */
  clocks: (number | null)[];
  /** Each frame's timestamp in the recording, in ms (from the stream's RTP timestamps). */
  pts: number[];
}

describe('simulated camera: clock streams', () => {
  let cam: SimulatedCamera;
  let workDir: string;
  const readers: FfmpegReader[] = [];

  beforeAll(async () => {
    cam = await SimulatedCamera.start({ name: 'Clock', username: 'admin', password: 'pw', clock: true });
    workDir = await mkdtemp(join(tmpdir(), 'sargs-sim-clock-'));
  });
  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await cam?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Records `seconds` of a stream with -c copy, decodes every frame to RGBA and reads its clock. */
  async function recordClocks(url: string, width: number, height: number, name: string, seconds = 2): Promise<Recording> {
    const out = join(workDir, `${name}.mp4`);
    const startedAt = Date.now();
    const rec = await run('/usr/bin/ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-rtsp_transport', 'tcp',
      '-i', url, '-t', String(seconds), '-c', 'copy', '-y', out], 30_000);
    const endedAt = Date.now();
    expect(rec.code, rec.stderr).toBe(0);

    const raw = join(workDir, `${name}.rgba`);
    // Every frame as it is, in the stream's own time base: at the rawvideo default (1/fps) two frames
    // a timer's jitter apart (a loaded machine) share a tick, and the muxer complains.
    const decode = await run('/usr/bin/ffmpeg', ['-v', 'error', '-nostdin', '-i', out, '-fps_mode', 'passthrough', '-enc_time_base:v', '-1',
      '-f', 'rawvideo', '-pix_fmt', 'rgba', '-y', raw]);
    expect(decode.code, decode.stderr).toBe(0);
    expect(decode.stderr.trim()).toBe('');
    const pixels = await readFile(raw);
    const frameBytes = width * height * 4;
    expect(pixels.length % frameBytes).toBe(0);
    const clocks: (number | null)[] = [];
    for (let o = 0; o < pixels.length; o += frameBytes) {
      clocks.push(readClockFromRgba(new Uint8ClampedArray(pixels.buffer, pixels.byteOffset + o, frameBytes), width));
    }

    const frames = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', out]);
    expect(frames.code, frames.stderr).toBe(0);
    // Skip blank lines: ffprobe writes one after a frame with side data (the first).
    const pts = frames.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => Number(l) * 1000);
    return { seconds, startedAt, endedAt, clocks, pts };
  }

  /**
   * What every clock recording must show: a readable time in each frame, one frame period apart, taken
   * while we recorded. A client joining a stream others already play (`midGop`) gets decodable frames
   * only from the next keyframe on, up to a GOP (2 s) later.
   */
  function expectLiveClock({ seconds, startedAt, endedAt, clocks, pts }: Recording, midGop = false): void {
    const wait = midGop ? 2 : 0;
    expect(clocks.length).toBeGreaterThanOrEqual(0.75 * (seconds - wait) * FPS);
    expect(clocks.filter((c) => c === null)).toEqual([]);
    const ms = clocks as number[];
    const steps = ms.slice(1).map((c, i) => c - (ms[i] ?? 0));
    // Every frame newer than the one before, by about a frame period: paced by a timer, so a few ms of
    // jitter, and a loaded machine may skip a frame now and then (a live camera drops them too).
    expect(Math.min(...steps), steps.join(' ')).toBeGreaterThan(0);
    expect(Math.max(...steps), steps.join(' ')).toBeLessThan(5 * FRAME_MS);
    const meanStep = ((ms.at(-1) ?? 0) - (ms[0] ?? 0)) / (ms.length - 1);
    expect(meanStep).toBeGreaterThan(0.9 * FRAME_MS);
    expect(meanStep).toBeLessThan(1.25 * FRAME_MS);
    const sorted = [...steps].sort((a, b) => a - b);
    expect(Math.abs((sorted[Math.floor(sorted.length / 2)] ?? 0) - FRAME_MS)).toBeLessThanOrEqual(3);
    // Painted live: within 2 s of when we recorded, none from the future.
    for (const c of ms) {
      expect(c).toBeGreaterThanOrEqual(startedAt - 2000);
      expect(c).toBeLessThanOrEqual(endedAt);
    }
    expect((ms[0] ?? 0) - startedAt).toBeLessThan(2000 + wait * 1000);
    // The stream's timestamps come from the same moments: from the second frame on (ffmpeg leaves the
    // first without one), time between frames in the stream equals time between their painted clocks.
    expect(pts.length).toBe(ms.length);
    for (let i = 2; i < ms.length; i++) {
      expect(Math.abs(((ms[i] ?? 0) - (ms[1] ?? 0)) - ((pts[i] ?? 0) - (pts[1] ?? 0))), `frame ${i}`).toBeLessThan(15);
    }
  }

  it('serves both profiles in their advertised formats', async () => {
    expect(cam.clock).toBe(true);
    const [main, sub] = await Promise.all([ffprobeStream(cam.rtspUrl), ffprobeStream(cam.subRtspUrl)]);
    expect(main, main.stderr).toMatchObject({ ok: true, codec: 'h264', width: 640, height: 360 });
    expect(sub, sub.stderr).toMatchObject({ ok: true, codec: 'h264', width: 320, height: 180 });
    // ffprobe guesses the rate from the frames' timestamps: a timer's, so on a loaded machine it may
    // come out as 301/12 rather than 25/1.
    const rate = (r: string | undefined) => { const [n, d] = (r ?? '').split('/').map(Number); return (n ?? 0) / (d || 1); };
    expect(rate(main.fps)).toBeCloseTo(FPS, 0);
    expect(rate(sub.fps)).toBeCloseTo(FPS, 0);
  });

  it('paints the wall-clock time into every frame of the main stream, a frame period apart', async () => {
    const rec = await recordClocks(cam.rtspUrl, 640, 360, 'main');
    expectLiveClock(rec);
    // Baseline, no B-frames, a keyframe every GOP (50) frames.
    const probe = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=profile,has_b_frames:packet=flags',
      '-of', 'json', join(workDir, 'main.mp4')]);
    const info = JSON.parse(probe.stdout) as { streams: { profile: string; has_b_frames: number }[]; packets: { flags: string }[] };
    expect(info.streams[0]).toMatchObject({ profile: 'Constrained Baseline', has_b_frames: 0 });
    const keyframes = info.packets.flatMap((p, i) => (p.flags.startsWith('K') ? [i] : []));
    expect(keyframes[0]).toBe(0);
    for (let k = 1; k < keyframes.length; k++) expect((keyframes[k] ?? 0) - (keyframes[k - 1] ?? 0)).toBe(50);
  });

  it('does the same in the sub-stream', async () => {
    expectLiveClock(await recordClocks(cam.subRtspUrl, 320, 180, 'sub'));
  });

  it('SetSynchronizationPoint makes the profile\'s next frame a keyframe, well inside the GOP', async () => {
    // A reader keeps the shared pipeline playing, so the capture below joins it mid-GOP.
    const reader = new FfmpegReader(cam.subRtspUrl);
    readers.push(reader);
    await reader.waitFor((n) => n >= 5, 20_000, 'the reader\'s first frames');
    // 2.4 s of packets with their flags; two requests 0.8 s (20 frames) apart while it plays.
    const capture = run('/usr/bin/ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-read_intervals', '%+2.4',
      '-show_entries', 'packet=flags', '-of', 'csv=p=0', cam.subRtspUrl], 20_000);
    const before = cam.syncPoints.length;
    const ask = async () => {
      const res = await soap(cam.mediaServiceUrl, {
        operation: 'SetSynchronizationPoint', ns: 'http://www.onvif.org/ver10/media/wsdl',
        inner: '<ProfileToken>Profile_2</ProfileToken>', credentials: { username: 'admin', password: 'pw' },
      });
      expect(res.status, res.body).toBe(200);
      expect(res.body).toContain('SetSynchronizationPointResponse');
    };
    await new Promise((r) => setTimeout(r, 800));
    await ask();
    await new Promise((r) => setTimeout(r, 800));
    await ask();
    expect(cam.syncPoints.slice(before).map((p) => [p.profileToken, p.keyframe])).toEqual([['Profile_2', true], ['Profile_2', true]]);
    const out = await capture;
    expect(out.code, out.stderr).toBe(0);
    const keys = out.stdout.split('\n').filter((l) => l.trim()).flatMap((l, i) => (l.startsWith('K') ? [i] : []));
    // The encoder's own keyframes are 50 frames apart: two keyframes about 20 frames apart can only be
    // the ones asked for (a forced one and the one after it, or a natural one just before).
    const gaps = keys.slice(1).map((k, i) => k - keys[i]!);
    expect(Math.min(...gaps), `keyframes at packets ${keys.join(' ')}`).toBeLessThan(35);
  });

  it('freeze() stops frames of both clock streams; after unfreeze() they show the time again', async () => {
    const reader = new FfmpegReader(cam.rtspUrl);
    const subReader = new FfmpegReader(cam.subRtspUrl);
    readers.push(reader, subReader);
    await Promise.all([reader, subReader].map((r) => r.waitFor((n) => n >= FPS, 20_000, 'the first second of video')));

    await cam.freeze();
    const [frozenAt, subFrozenAt] = await Promise.all([reader.waitForSilence(1500, 10_000), subReader.waitForSilence(1500, 10_000)]);
    expect(reader.running && subReader.running).toBe(true);
    const unfrozenAt = Date.now();
    await cam.unfreeze();
    await reader.waitFor((n) => n >= frozenAt + FPS, 10_000, 'frames after unfreeze');
    await subReader.waitFor((n) => n >= subFrozenAt + FPS, 10_000, 'sub-stream frames after unfreeze');

    // A new client sees the current time, not frames held back while frozen; it shares the readers'
    // pipeline, so it can decode from the next keyframe on.
    const rec = await recordClocks(cam.rtspUrl, 640, 360, 'unfrozen', 3);
    expect(rec.clocks[0]).toBeGreaterThanOrEqual(unfrozenAt);
    expectLiveClock(rec, true);
  });

  it('paints again after stopStream() and startStream()', async () => {
    await cam.stopStream();
    expect((await ffprobeStream(cam.rtspUrl)).ok).toBe(false);
    const restartedAt = Date.now();
    await cam.startStream();
    const rec = await recordClocks(cam.subRtspUrl, 320, 180, 'restarted', 1);
    expect(rec.clocks[0]).toBeGreaterThanOrEqual(restartedAt);
    expectLiveClock(rec);
  });

  it('refuses a format the clock does not fit in before starting anything', async () => {
    // The sub-stream of 480x270 would be 240x136: narrower than the 256 px pattern.
    await expect(SimulatedCamera.start({
      name: 'Too small', username: 'admin', password: 'pw', clock: true,
      video: { width: 480, height: 270, fps: FPS, gop: 50, bitrateKbps: 400 },
    })).rejects.toThrow(/at least 256x48/);
  });
});
