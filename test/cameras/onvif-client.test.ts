import {
  CameraAddressError, CameraClockSkewError, CameraProtocolError, CameraUnauthorizedError, CameraUnreachableError,
} from '@sargs/agent/cameras/camera-errors';
import { bestH264Profile, parseDeviceUrl, probeCamera } from '@sargs/agent/cameras/onvif-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { fixtureCamera, startFakeServer, type FakeServer, type Handler } from './fake-onvif-server';

const USER = 'admin';
const PASSWORD = 'correct horse';

describe('probeCamera against the simulated camera', () => {
  let cam: SimulatedCamera;
  beforeAll(async () => {
    cam = await SimulatedCamera.start({ name: 'Probe Gate', username: USER, password: PASSWORD });
  });
  afterAll(async () => { await cam?.stop(); });

  const probe = (password = PASSWORD) => probeCamera({ url: cam.deviceServiceUrl, username: USER, password, timeoutMs: 3000 });

  it('learns device information, clock offset, profiles and stream and snapshot URIs', async () => {
    const r = await probe();
    expect(r.deviceUrl).toBe(cam.deviceServiceUrl);
    expect(r.deviceInformation).toEqual({
      manufacturer: 'Sargs', model: 'SimCam 1000', firmwareVersion: '1.0.0', serialNumber: cam.state.serialNumber,
    });
    expect(Math.abs(r.clockOffsetMs)).toBeLessThan(1500);
    expect(r.profiles).toEqual([{ token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 640, height: 360, fps: 25, bitrate: cam.state.video.bitrateKbps }]);
    expect(r.profileToken).toBe('Profile_1');
    expect(r.streamUri).toBe(cam.rtspUrl);
    expect(r.snapshotUri).toBe(cam.snapshotUrl);
  });

  it('measures the clock offset against the given clock, and a skew within 5 min still works', async () => {
    cam.skewClock(3 * 60_000);
    try {
      const r = await probe();
      expect(Math.abs(r.clockOffsetMs - 3 * 60_000)).toBeLessThan(1500);
      const behind = await probeCamera({ url: cam.deviceServiceUrl, username: USER, password: PASSWORD, clock: { now: () => Date.now() + 3 * 60_000 } });
      expect(Math.abs(behind.clockOffsetMs)).toBeLessThan(1500);
    } finally {
      cam.skewClock(0);
    }
  });

  it('a wrong password is CameraUnauthorizedError', async () => {
    const err = await probe('wrong').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraUnauthorizedError);
    expect((err as Error).message).toBe(`camera at 127.0.0.1:${cam.onvifPort} refused the username or password`);
  });

  it('a clock 10 min ahead is CameraClockSkewError, not unauthorized', async () => {
    cam.skewClock(10 * 60_000);
    try {
      const err = await probe().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CameraClockSkewError);
      expect((err as CameraClockSkewError).offsetMs).toBeGreaterThan(9 * 60_000);
      expect((err as Error).message).toMatch(/^camera at 127\.0\.0\.1:\d+ has its clock 10\.0 min ahead of this gateway's/);
      // Wrong password too: the clock is still what the operator must fix first.
      await expect(probe('wrong')).rejects.toBeInstanceOf(CameraClockSkewError);
    } finally {
      cam.skewClock(0);
    }
  });

  it('refused connections are CameraUnreachableError', async () => {
    await cam.refuseConnections();
    try {
      const err = await probe().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CameraUnreachableError);
      expect((err as Error).message).toMatch(/^camera at 127\.0\.0\.1:\d+ is unreachable: connection refused/);
    } finally {
      await cam.acceptConnections();
    }
  });
});

describe('probeCamera against real cameras\' captured replies', () => {
  const servers: FakeServer[] = [];
  afterAll(async () => { await Promise.all(servers.map((s) => s.close())); });
  const serve = async (...args: Parameters<typeof fixtureCamera>) => {
    const s = await fixtureCamera(...args);
    servers.push(s);
    return s;
  };
  const probe = (s: FakeServer) => probeCamera({ url: s.url, username: 'root', password: 'pass', timeoutMs: 3000 });

  it.each([
    ['axis', { manufacturer: 'AXIS', model: 'AXIS Q6045-E', firmwareVersion: '5.55.1.2', serialNumber: '00408CFAB754' }, 'profile_1_h264', 1280, 2],
    ['hikvision', { manufacturer: 'HIKVISION' }, 'Profile_1', 1280, 3],
    ['hikvision-fixed', { manufacturer: 'HIKVISION' }, 'Profile_1', 1280, 2],
    ['pelco', { manufacturer: 'Pelco' }, '0', 1920, 2],
    ['trendnet', {}, 'Profile_1', 1280, 2],
  ])('%s: reads device information, profiles and URIs', async (vendor, info, token, width, count) => {
    const s = await serve(vendor);
    const r = await probe(s);
    expect(r.deviceInformation).toMatchObject(info);
    expect(r.deviceInformation.model).not.toBe('');
    expect(r.profiles).toHaveLength(count);
    expect(r.profileToken).toBe(token);
    expect(r.profiles.find((p) => p.token === token)).toMatchObject({ encoding: 'H264', width });
    expect(r.streamUri).toMatch(/^rtsp:\/\//);
    expect(r.snapshotUri).toMatch(/^http:\/\//);
    expect(Math.abs(r.clockOffsetMs)).toBeLessThan(2000);
    expect(s.operations[0]).toBe('GetSystemDateAndTime');
  });

  it('axis faults GetServices: the media service is found through GetCapabilities', async () => {
    const s = await serve('axis');
    await probe(s);
    expect(s.operations.slice(0, 3)).toEqual(['GetSystemDateAndTime', 'GetServices', 'GetCapabilities']);
  });

  it('the capture\'s own 2018 clock is reported as clock skew', async () => {
    const s = await serve('hikvision', { originalClock: true });
    const err = await probe(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraClockSkewError);
    expect((err as Error).message).toMatch(/h behind this gateway's/);
  });

  it('a captured ter:NotAuthorized fault is CameraUnauthorizedError', async () => {
    const s = await serve('trendnet', { override: { GetDeviceInformation: 'core/GetDeviceInformation.Error.xml' } });
    await expect(probe(s)).rejects.toBeInstanceOf(CameraUnauthorizedError);
  });

  it('a camera without an H.264 profile is CameraProtocolError', async () => {
    const jpegOnly = await serve('axis', { transform: (op, xml) => (op === 'GetProfiles' ? xml.replace(/>H264</g, '>JPEG<') : xml) });
    const err = await probe(jpegOnly).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraProtocolError);
    expect((err as Error).message).toMatch(/no H\.264 profile \(only JPEG\)/);
  });
});

describe('probeCamera against hostile or broken servers', () => {
  const servers: FakeServer[] = [];
  afterAll(async () => { await Promise.all(servers.map((s) => s.close())); });
  const probeWith = async (handler: Handler, timeoutMs = 2000) => {
    const s = await startFakeServer(handler);
    servers.push(s);
    const started = Date.now();
    const err = await probeCamera({ url: s.url, username: 'u', password: 'p', timeoutMs }).catch((e: unknown) => e);
    return { err, ms: Date.now() - started };
  };

  it.each([
    ['plain text', (res: Parameters<Handler>[1]) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('hello, I am a printer'); }],
    ['an HTML 404', (res: Parameters<Handler>[1]) => { res.writeHead(404, { 'Content-Type': 'text/html' }); res.end('<html><body>Not Found</body></html>'); }],
    ['unclosed XML', (res: Parameters<Handler>[1]) => { res.writeHead(200); res.end('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x>'); }],
    ['an envelope with an empty body', (res: Parameters<Handler>[1]) => { res.writeHead(200); res.end('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'); }],
    ['a time that is not a time', (res: Parameters<Handler>[1]) => {
      res.writeHead(200);
      res.end('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetSystemDateAndTimeResponse><SystemDateAndTime>' +
        '<UTCDateTime><Time><Hour>x</Hour></Time><Date><Year>y</Year></Date></UTCDateTime></SystemDateAndTime></GetSystemDateAndTimeResponse></s:Body></s:Envelope>');
    }],
    ['deeply nested XML', (res: Parameters<Handler>[1]) => { res.writeHead(200); res.end(`<s:Envelope><s:Body>${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}</s:Body></s:Envelope>`); }],
  ])('%s is CameraProtocolError', async (_what, reply) => {
    const { err } = await probeWith((_req, res) => reply(res));
    expect(err).toBeInstanceOf(CameraProtocolError);
    expect((err as Error).message).toMatch(/^camera at 127\.0\.0\.1:\d+ did not answer like an ONVIF camera: /);
  });

  it('a reply of endless bytes is cut off at the size limit: CameraProtocolError, quickly', async () => {
    const { err, ms } = await probeWith((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = (): void => { while (!res.destroyed && res.write(chunk)); if (!res.destroyed) res.once('drain', pump); };
      res.write('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><a>');
      pump();
    }, 10_000);
    expect(err).toBeInstanceOf(CameraProtocolError);
    expect((err as Error).message).toMatch(/GetSystemDateAndTime reply was larger than 2\.0 MiB/);
    expect(ms).toBeLessThan(5000);
  });

  it('a server that never answers, or trickles, is CameraUnreachableError after the timeout', async () => {
    const silent = await probeWith(() => undefined, 500);
    expect(silent.err).toBeInstanceOf(CameraUnreachableError);
    expect((silent.err as Error).message).toMatch(/no answer to GetSystemDateAndTime within 0\.5 s/);

    const trickle = await probeWith((_req, res) => {
      res.writeHead(200);
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), 100);
    }, 800);
    expect(trickle.err).toBeInstanceOf(CameraUnreachableError);
    expect(trickle.ms).toBeLessThan(3000);
  });

  it('a connection dropped mid-request is CameraUnreachableError', async () => {
    const { err } = await probeWith((req) => req.socket.destroy());
    expect(err).toBeInstanceOf(CameraUnreachableError);
  });

  it('HTTP 401 on everything is CameraUnauthorizedError', async () => {
    const { err } = await probeWith((_req, res) => { res.writeHead(401, { 'Content-Type': 'text/html' }); res.end('<html>401 Unauthorized</html>'); });
    expect(err).toBeInstanceOf(CameraUnauthorizedError);
  });

  it('an unknown host name is CameraUnreachableError', async () => {
    const err = await probeCamera({ url: 'http://no-such-camera.invalid/onvif/device_service', username: 'u', password: 'p', timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraUnreachableError);
    expect((err as Error).message).toMatch(/no-such-camera\.invalid.*could not be resolved/);
  });
});

describe('device URLs and profile choice', () => {
  it('normalises addresses and drops credentials', () => {
    expect(parseDeviceUrl('192.168.1.64')).toMatchObject({ deviceUrl: 'http://192.168.1.64/onvif/device_service', port: 80, host: '192.168.1.64' });
    expect(parseDeviceUrl('http://admin:pw@cam.local:8080/onvif/device_service')).toMatchObject({ deviceUrl: 'http://cam.local:8080/onvif/device_service', port: 8080 });
    expect(parseDeviceUrl('https://[fe80::1]/x')).toMatchObject({ hostname: 'fe80::1', port: 443, secure: true, path: '/x' });
    expect(() => parseDeviceUrl('ftp://cam/')).toThrow(CameraAddressError);
    expect(() => parseDeviceUrl('http://')).toThrow(CameraAddressError);
  });

  it('picks the highest-resolution H.264 profile', () => {
    const p = (token: string, encoding: string, width: number, height: number, fps = 25) => ({ token, name: token, encoding, width, height, fps });
    expect(bestH264Profile([p('sub', 'H264', 640, 360), p('jpeg', 'JPEG', 3840, 2160), p('main', 'H264', 1920, 1080), p('main10', 'H264', 1920, 1080, 10)])?.token).toBe('main');
    expect(bestH264Profile([p('h265', 'H265', 1920, 1080)])).toBeUndefined();
  });
});
