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

  it('probe prints a table, or JSON; the password may come from SARGS_CAMERA_PASSWORD', async () => {
    const [r, j] = await Promise.all([sargs(probe('--password', 'secret pw')), sargs(probe('--json'), { SARGS_CAMERA_PASSWORD: 'secret pw' })]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`Camera     ${cam.deviceServiceUrl}`);
    expect(r.out).toMatch(/Device {5}Sargs SimCam 1000, firmware 1\.0\.0, serial \w+/);
    expect(r.out).toMatch(/Clock {6}\d+\.\d s (ahead of|behind) this gateway/);
    expect(r.out).toMatch(/\* +Profile_1 +mainStream +H264 +640x360 +25 +\d+ kbit\/s/);
    expect(r.out).toContain(`Stream     ${cam.rtspUrl}`);
    expect(r.out).toContain(`Snapshot   ${cam.snapshotUrl}`);

    expect(j.code, j.err).toBe(0);
    const json = JSON.parse(j.out) as { deviceInformation: { model: string }; profiles: Array<{ encoding: string; width: number; fps: number }>; streamUri: string; clockOffsetMs: number };
    expect(json.deviceInformation.model).toBe('SimCam 1000');
    expect(json.profiles[0]).toMatchObject({ encoding: 'H264', width: 640, fps: 25 });
    expect(json.streamUri).toBe(cam.rtspUrl);
    expect(typeof json.clockOffsetMs).toBe('number');
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
