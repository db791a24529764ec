import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCamera } from '@sargs/sim/camera/index';

const repoRoot = resolve(import.meta.dirname, '..', '..');

// Asynchronous, unlike cli.test.ts: the simulated camera answers from this process's event loop.
function sargs(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli/src/main.ts'), ...args], {
      cwd: repoRoot, env: { ...process.env, SARGS_CAMERA_PASSWORD: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', fail);
    child.once('close', (code) => { clearTimeout(timer); done({ code, out, err }); });
  });
}
const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('sargs camera', () => {
  let cam: SimulatedCamera;
  beforeAll(async () => {
    cam = await SimulatedCamera.start({ name: 'CLI Gate', username: 'admin', password: 'secret pw' });
  });
  afterAll(async () => { await cam?.stop(); });
  const probe = (...extra: string[]) => ['camera', 'probe', '--url', cam.deviceServiceUrl, '--user', 'admin', ...extra];

  it('probe prints every profile with its addresses as a table, or JSON; the password may come from SARGS_CAMERA_PASSWORD', async () => {
    const [r, j] = await Promise.all([sargs(probe('--password', 'secret pw')), sargs(probe('--json'), { SARGS_CAMERA_PASSWORD: 'secret pw' })]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`Camera     ${cam.deviceServiceUrl}`);
    expect(r.out).toMatch(/Device {5}Sargs SimCam 1000, firmware 1\.0\.0, serial \w+/);
    expect(r.out).toMatch(/Clock {6}\d+\.\d s (ahead of|behind) this gateway/);
    expect(r.out).toMatch(/\* +Profile_1 +mainStream +H264 +640x360 +25 +800 kbit\/s/);
    expect(r.out).toMatch(/s +Profile_2 +subStream +H264 +320x180 +25 +200 kbit\/s/);
    expect(r.out).toMatch(new RegExp(`Profile_1 +stream +${cam.rtspUrl}\n +snapshot +${cam.snapshotUrl}\n`));
    expect(r.out).toMatch(new RegExp(`Profile_2 +stream +${cam.subRtspUrl}\n +snapshot +${cam.subSnapshotUrl}\n`));
    expect(r.out).toContain(`Stream     ${cam.rtspUrl}\n`);
    expect(r.out).toContain(`Snapshot   ${cam.snapshotUrl}\n`);
    expect(r.out).toContain('* the profile the agent would record; s the sub-stream for live views');
    expect(r.out).not.toContain('secret pw');

    expect(j.code, j.err).toBe(0);
    const json = JSON.parse(j.out) as Record<string, unknown>;
    expect(json).toMatchObject({
      deviceInformation: { model: 'SimCam 1000', serialNumber: cam.state.serialNumber },
      profiles: [
        { token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 640, height: 360, fps: 25, bitrate: 800, streamUri: cam.rtspUrl, snapshotUri: cam.snapshotUrl },
        { token: 'Profile_2', name: 'subStream', encoding: 'H264', width: 320, height: 180, fps: 25, bitrate: 200, streamUri: cam.subRtspUrl, snapshotUri: cam.subSnapshotUrl },
      ],
      profileToken: 'Profile_1', subProfileToken: 'Profile_2', streamUri: cam.rtspUrl, snapshotUri: cam.snapshotUrl,
    });
    expect(typeof json.clockOffsetMs).toBe('number');
    expect(j.out).not.toContain('secret pw');
  });

  it('--profile picks the profile to record; one the camera lacks is a usage error naming the ones it has', async () => {
    const [sub, none] = await Promise.all([
      sargs(probe('--profile', 'Profile_2', '--json'), { SARGS_CAMERA_PASSWORD: 'secret pw' }),
      sargs(probe('--profile', 'Profile_9'), { SARGS_CAMERA_PASSWORD: 'secret pw' }),
    ]);
    expect(sub.code, sub.err).toBe(0);
    expect(JSON.parse(sub.out)).toMatchObject({ profileToken: 'Profile_2', streamUri: cam.subRtspUrl });
    expect(none.code).toBe(2);
    expect(none.err.trim()).toBe(`sargs: camera at 127.0.0.1:${cam.onvifPort} has no profile "Profile_9"; its H.264 profiles are "Profile_1" (640x360), "Profile_2" (320x180)`);
    noStackTrace(none.err);
  });

  it('a camera reporting addresses with a host nobody reaches: the table shows the usable address and the reported one', async () => {
    const nat = await SimulatedCamera.start({ name: 'CLI NAT', username: 'admin', password: 'secret pw', reportedHost: '0.0.0.0' });
    try {
      const r = await sargs(['camera', 'probe', '--url', nat.deviceServiceUrl, '--user', 'admin'], { SARGS_CAMERA_PASSWORD: 'secret pw' });
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`Stream     ${nat.rtspUrl} (the camera reports rtsp://0.0.0.0:${nat.rtspPort}/stream)`);
      expect(r.out).toContain(`Snapshot   ${nat.snapshotUrl} (the camera reports http://0.0.0.0:${nat.onvifPort}/onvif/snapshot.jpg)`);
      expect(r.out).toMatch(new RegExp(`Profile_2 +stream +${nat.subRtspUrl} \\(the camera reports rtsp://0\\.0\\.0\\.0:${nat.rtspPort}/sub\\)`));
    } finally {
      await nat.stop();
    }
  });

  it('a wrong password: one sentence naming the host, exit 1', async () => {
    const r = await sargs(probe('--password', 'wrong'));
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe(`sargs: camera at 127.0.0.1:${cam.onvifPort} refused the username or password`);
    noStackTrace(r.err);
  });

  it('a skewed camera clock is reported as such, not as a wrong password', async () => {
    cam.skewClock(10 * 60_000);
    try {
      const r = await sargs(probe('--json'), { SARGS_CAMERA_PASSWORD: 'secret pw' });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^sargs: camera at 127\.0\.0\.1:\d+ has its clock 10\.0 min ahead of this gateway's/);
      expect(JSON.parse(r.out)).toMatchObject({ error: { kind: 'clock-skew' } });
      noStackTrace(r.err);
    } finally {
      cam.skewClock(0);
    }
  });

  it('a camera refusing connections is unreachable', async () => {
    await cam.refuseConnections();
    try {
      const r = await sargs(probe('--password', 'secret pw', '--timeout', '2'));
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^sargs: camera at 127\.0\.0\.1:\d+ is unreachable: connection refused/);
      noStackTrace(r.err);
    } finally {
      await cam.acceptConnections();
    }
  });

  it('usage mistakes exit 2; --help mentions SARGS_CAMERA_PASSWORD', async () => {
    const [noPassword, badUrl, help] = await Promise.all([
      sargs(probe()),
      sargs(['camera', 'probe', '--url', 'ftp://x/', '--user', 'a', '--password', 'b']),
      sargs(['camera', 'probe', '--help']),
    ]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.err).toMatch(/--password or the SARGS_CAMERA_PASSWORD environment variable/);
    expect(badUrl.code).toBe(2);
    expect(badUrl.err).toMatch(/"ftp:\/\/x\/" is not a camera address/);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: sargs camera probe');
    expect(help.out).toContain('SARGS_CAMERA_PASSWORD');
  });
});
