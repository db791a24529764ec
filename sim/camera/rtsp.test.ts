import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCamera } from './index';
import { establishedTo, FfmpegReader, ffprobeStream, run, tcpProbe } from './test-helpers';

describe('simulated camera: RTSP', () => {
  let cam: SimulatedCamera;
  let workDir: string;
  const readers: FfmpegReader[] = [];

  beforeAll(async () => {
    cam = await SimulatedCamera.start({ name: 'Yard', username: 'admin', password: 'pw' });
    workDir = await mkdtemp(join(tmpdir(), 'sargs-sim-rtsp-'));
  });
  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await cam?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('serves H.264 at the advertised resolution over RTSP/TCP, and the sub-stream at half of it from the same server', async () => {
    const probe = await ffprobeStream(cam.rtspUrl);
    expect(probe, probe.stderr).toMatchObject({ ok: true, codec: 'h264', width: 640, height: 360, fps: '25/1' });
    const sub = await ffprobeStream(cam.subRtspUrl);
    expect(sub, sub.stderr).toMatchObject({ ok: true, codec: 'h264', width: 320, height: 180, fps: '25/1' });
  });

  it('can be recorded with -c copy across loop points with increasing timestamps', async () => {
    const out = join(workDir, 'loop.mkv');
    // 9 s spans two loops of the 4 s clip.
    const rec = await run('/usr/bin/ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-rtsp_transport', 'tcp',
      '-i', cam.rtspUrl, '-c', 'copy', '-t', '9', '-y', out], 30_000);
    expect(rec.code, rec.stderr).toBe(0);
    // ffmpeg's RTSP demuxer leaves the very first packet without a timestamp and says so (it does with
    // real cameras too); anything else about timestamps would mean the loop broke them.
    const complaints = rec.stderr.split('\n').filter((l) => /monoton|timestamp/i.test(l) && !/Timestamps are unset in a packet/.test(l) && !/previous: 0, current: 0/.test(l));
    expect(complaints).toEqual([]);

    const packets = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts_time,flags', '-of', 'csv=p=0', out]);
    expect(packets.code, packets.stderr).toBe(0);
    const rows = packets.stdout.trim().split('\n').map((l) => l.split(','));
    // That first packet ends up sharing timestamp 0 with the second one; check from the second on.
    const dts = rows.slice(1).map((r) => Number(r[0]));
    expect(dts.length).toBeGreaterThan(200);
    for (let i = 1; i < dts.length; i++) expect(dts[i]).toBeGreaterThan(dts[i - 1] ?? -Infinity);
    expect(dts.at(-1)).toBeGreaterThan(8.5);
    // A keyframe every 2 s, so at least one per loop and one at each loop point.
    expect(rows.filter((r) => r[1]?.startsWith('K')).length).toBeGreaterThanOrEqual(4);

    const decode = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', out, '-f', 'null', '-']);
    expect(decode.code).toBe(0);
    expect(decode.stderr.trim()).toBe('');
  });

  it('freeze() stops frames of both streams while the sessions stay open; unfreeze() resumes them', async () => {
    const reader = new FfmpegReader(cam.rtspUrl);
    const subReader = new FfmpegReader(cam.subRtspUrl);
    readers.push(reader, subReader);
    await Promise.all([reader, subReader].map((r) => r.waitFor((n) => n >= 25, 20_000, 'the first second of video')));

    await cam.freeze();
    const [frozenAt, subFrozenAt] = await Promise.all([reader.waitForSilence(1500, 10_000), subReader.waitForSilence(1500, 10_000)]);
    expect(reader.running && subReader.running).toBe(true);
    expect(await establishedTo(cam.rtspPort)).toBeGreaterThanOrEqual(2);
    expect(reader.frames).toBe(frozenAt);

    await cam.unfreeze();
    await reader.waitFor((n) => n >= frozenAt + 25, 10_000, 'frames after unfreeze');
    await subReader.waitFor((n) => n >= subFrozenAt + 25, 10_000, 'sub-stream frames after unfreeze');
    expect(reader.running).toBe(true);
  });

  it('stopStream() disconnects clients and refuses connections; startStream() serves again', async () => {
    const reader = new FfmpegReader(cam.rtspUrl);
    readers.push(reader);
    await reader.waitFor((n) => n >= 10, 20_000, 'video before stopping');
    const pid = cam.rtspPid;
    expect(pid).toBeDefined();

    await cam.stopStream();
    expect(cam.rtspPid).toBeUndefined();
    expect(() => process.kill(pid ?? 0, 0)).toThrow();
    await reader.exited;
    expect(await tcpProbe(cam.host, cam.rtspPort)).toBe('ECONNREFUSED');
    expect((await ffprobeStream(cam.rtspUrl)).ok).toBe(false);

    expect((await ffprobeStream(cam.subRtspUrl)).ok).toBe(false);

    await cam.startStream();
    const probe = await ffprobeStream(cam.rtspUrl);
    expect(probe, probe.stderr).toMatchObject({ ok: true, codec: 'h264', width: 640 });
    expect(await ffprobeStream(cam.subRtspUrl)).toMatchObject({ ok: true, width: 320 });
  });
});
