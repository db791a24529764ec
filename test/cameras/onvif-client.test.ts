import {
  CameraAddressError, CameraClockSkewError, CameraProtocolError, CameraUnauthorizedError, CameraUnreachableError,
} from '@sargs/agent/cameras/camera-errors';
import { bestH264Profile, parseDeviceUrl, probeCamera, profileLabels } from '@sargs/agent/cameras/onvif-client';
import { CameraProfileError } from '@sargs/agent/cameras/profile-choice';
import onvif, { type DeviceInformation } from 'onvif';
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

  it('learns device information, clock offset, every profile with its stream and snapshot URIs, main and sub-stream', async () => {
    const r = await probe();
    expect(r.deviceUrl).toBe(cam.deviceServiceUrl);
    expect(r.deviceInformation).toEqual({
      manufacturer: 'Sargs', model: 'SimCam 1000', firmwareVersion: '1.0.0', serialNumber: cam.state.serialNumber,
    });
    expect(Math.abs(r.clockOffsetMs)).toBeLessThan(1500);
    expect(r.profiles).toEqual([
      { token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 640, height: 360, fps: 25, bitrate: 800, streamUri: cam.rtspUrl, snapshotUri: cam.snapshotUrl },
      { token: 'Profile_2', name: 'subStream', encoding: 'H264', width: 320, height: 180, fps: 25, bitrate: 200, streamUri: cam.subRtspUrl, snapshotUri: cam.subSnapshotUrl },
    ]);
    expect(r.profileToken).toBe('Profile_1');
    expect(r.subProfileToken).toBe('Profile_2');
    expect(r.streamUri).toBe(cam.rtspUrl);
    expect(r.snapshotUri).toBe(cam.snapshotUrl);
    expect(r).not.toHaveProperty('reportedStreamUri');
  });

  it('records the profile asked for when it is an H.264 one; an unknown token is a CameraProfileError', async () => {
    const sub = await probeCamera({ url: cam.deviceServiceUrl, username: USER, password: PASSWORD, profileToken: 'Profile_2' });
    expect(sub).toMatchObject({ profileToken: 'Profile_2', subProfileToken: 'Profile_2', streamUri: cam.subRtspUrl, snapshotUri: cam.subSnapshotUrl });
    const err = await probeCamera({ url: cam.deviceServiceUrl, username: USER, password: PASSWORD, profileToken: 'Profile_7' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraProfileError);
    expect((err as Error).message).toBe(`camera at 127.0.0.1:${cam.onvifPort} has no profile "Profile_7"; its H.264 profiles are "Profile_1" (640x360), "Profile_2" (320x180)`);
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

  // Values as the captures hold them (test/fixtures/onvif/<vendor>/core/GetDeviceInformation and media/GetProfiles).
  // Each capture has one GetStreamUri and GetSnapshotUri reply, served for every profile; each names a
  // host on the vendor's own network, so the agent keeps that as "reported" and uses the reached one.
  const h264 = (token: string, name: string, width: number, height: number, fps: number, bitrate?: number) =>
    ({ token, name, encoding: 'H264', width, height, fps, ...(bitrate ? { bitrate } : {}) });
  const vendors = [
    {
      vendor: 'axis',
      info: { manufacturer: 'AXIS', model: 'AXIS Q6045-E', firmwareVersion: '5.55.1.2', serialNumber: '00408CFAB754' },
      // BitrateLimit 0: no limit stated.
      profiles: [h264('profile_1_h264', 'profile_1 h264', 1280, 720, 30), { ...h264('profile_1_jpeg', 'profile_1 jpeg', 1280, 720, 30), encoding: 'JPEG' }],
      main: 'profile_1_h264', sub: 'profile_1_h264',
      stream: 'rtsp://192.168.0.19/onvif-media/media.amp?profile=profile_1_jpeg&sessiontimeout=60&streamtype=unicast',
      snapshot: 'http://192.168.0.19/onvif-cgi/jpg/image.cgi?resolution=1280x720&compression=20',
    },
    {
      vendor: 'hikvision',
      info: { manufacturer: 'HIKVISION', model: 'DS-2DF7276-AEL', firmwareVersion: 'V5.1.6 build 140401', serialNumber: 'DS-2DF7276-AEL20140613CCWR468714298B' },
      profiles: [h264('Profile_1', 'mainStream', 1280, 720, 10, 4096), h264('Profile_2', 'subStream', 704, 480, 30, 1024), h264('Profile_3', 'thirdStream', 704, 480, 30, 1024)],
      main: 'Profile_1', sub: 'Profile_2',
      stream: 'rtsp://10.10.1.60:554/Streaming/Channels/3?transportmode=unicast&profile=Profile_3',
      snapshot: 'http://10.10.1.60/onvif/snapshot',
    },
    {
      vendor: 'hikvision-fixed',
      info: { manufacturer: 'HIKVISION', model: 'DS-2CD2012-I', firmwareVersion: 'V5.2.0 build 140721', serialNumber: 'DS-2CD2012-I20150201CCWR501088621' },
      profiles: [h264('Profile_1', 'mainStream', 1280, 720, 10, 2048), h264('Profile_2', 'subStream', 352, 240, 30, 512)],
      main: 'Profile_1', sub: 'Profile_2',
      stream: 'rtsp://10.10.1.65:554/Streaming/Channels/2?transportmode=unicast&profile=Profile_2',
      snapshot: 'http://10.10.1.65/onvif-http/snapshot',
    },
    {
      vendor: 'pelco',
      info: { manufacturer: 'Pelco', model: 'D6230L', firmwareVersion: '2.9.0.4.9340-A0.0', serialNumber: 'J250117' },
      // Tokens "0" and "1": strings, though the library reads them as numbers.
      profiles: [h264('0', 'Primary', 1920, 1080, 30, 6000), { ...h264('1', 'Secondary', 1920, 1080, 5, 5000), encoding: 'JPEG' }],
      main: '0', sub: '0',
      stream: 'rtsp://10.10.1.66/stream2_v',
      snapshot: 'http://10.10.1.66/jpeg',
    },
    {
      vendor: 'trendnet',
      info: { manufacturer: 'TRENDnet', model: 'TV-IP320PI', firmwareVersion: 'V5.3.4 build 160830', serialNumber: 'TV-IP320PI20161206AAWR863642784' },
      profiles: [h264('Profile_1', 'mainStream', 1280, 720, 30, 2048), { ...h264('Profile_2', 'subStream', 352, 240, 30, 512), encoding: 'JPEG' }],
      main: 'Profile_1', sub: 'Profile_1',
      stream: 'rtsp://10.10.1.67:554/Streaming/Channels/102?transportmode=unicast&profile=Profile_2',
      snapshot: 'http://10.10.1.67/onvif-http/snapshot?Profile_2',
    },
  ];

  it.each(vendors)('$vendor: device information exactly, every profile with its facts and addresses, main and sub-stream', async (v) => {
    const s = await serve(v.vendor);
    const r = await probe(s);
    expect(r.deviceInformation).toEqual(v.info);
    // The reached host (the fake camera's), the capture's port, path and query.
    const reached = (uri: string) => uri.replace(/^(\w+:\/\/)[^/:]+/, '$1127.0.0.1');
    const addresses = { streamUri: reached(v.stream), reportedStreamUri: v.stream, snapshotUri: reached(v.snapshot), reportedSnapshotUri: v.snapshot };
    expect(r.profiles).toEqual(v.profiles.map((p) => ({ ...p, ...addresses })));
    expect(r).toMatchObject({ profileToken: v.main, subProfileToken: v.sub, ...addresses });
    expect(Math.abs(r.clockOffsetMs)).toBeLessThan(2000);
    expect(s.operations[0]).toBe('GetSystemDateAndTime');
    // Each profile's addresses were asked for by its own token.
    const asked = (op: string) => s.profileTokens.filter((_t, i) => s.operations[i] === op);
    expect(asked('GetStreamUri')).toEqual(v.profiles.map((p) => p.token));
    expect(asked('GetSnapshotUri')).toEqual(v.profiles.map((p) => p.token));
  });

  it.each(['000123456789', '123456789012345678901234567890'])('serial %s, firmware "1.10", numeric tokens and names stay the strings the camera wrote', async (serial) => {
    const s = await serve('hikvision-fixed', {
      transform: (op, xml) => op === 'GetDeviceInformation'
        ? xml.replace(/(SerialNumber>)[^<]*/, `$1${serial}`).replace(/(FirmwareVersion>)[^<]*/, '$11.10')
        : op === 'GetProfiles'
          ? xml.replace('token="Profile_1"', 'token="98765432109876543210"').replace('<tt:Name>mainStream', '<tt:Name>007').replace('token="Profile_2"', 'token="0042"')
          : xml,
    });
    const r = await probe(s);
    expect(r.deviceInformation).toMatchObject({ serialNumber: serial, firmwareVersion: '1.10' });
    expect(r.profiles.map((p) => [p.token, p.name])).toEqual([['98765432109876543210', '007'], ['0042', 'subStream']]);
    expect(r).toMatchObject({ profileToken: '98765432109876543210', subProfileToken: '0042' });
    // The camera was asked for those very tokens, not for what a float makes of them.
    expect(s.profileTokens.filter((_t, i) => s.operations[i] === 'GetStreamUri')).toEqual(['98765432109876543210', '0042']);

    // What the onvif library alone makes of the same reply: numbers where it can.
    const { hostname, port, pathname } = new URL(s.url);
    const lib = new onvif.Cam({ hostname, port: Number(port), path: pathname, autoconnect: false });
    const libInfo = await new Promise<DeviceInformation>((resolve, reject) => lib.getDeviceInformation((err, info) => (err ? reject(err) : resolve(info))));
    expect(libInfo.firmwareVersion).toBe(1.1);
    if (!serial.startsWith('0')) expect(libInfo.serialNumber).toBe(Number(serial));
  });

  it('a profile token with XML metacharacters is sent escaped, and read back decoded', async () => {
    expect(profileLabels('<trt:Profiles fixed="true" token=\'a&amp;b\'><tt:Name>A &lt;1&gt;</tt:Name><tt:X><tt:Name>no</tt:Name></tt:X></trt:Profiles>'))
      .toEqual([{ token: 'a&b', name: 'A <1>' }]);
    const s = await serve('pelco', { transform: (op, xml) => (op === 'GetProfiles' ? xml.replace('token="0"', 'token="a&amp;b"') : xml) });
    const r = await probe(s);
    expect(r.profileToken).toBe('a&b');
    expect(s.profileTokens[s.operations.indexOf('GetStreamUri')]).toBe('a&amp;b');
  });

  it('a stream address that is not a URL is a CameraProtocolError naming the camera', async () => {
    const s = await serve('hikvision', { transform: (op, xml) => (op === 'GetStreamUri' ? xml.replace('rtsp://10.10.1.60:554', 'rtsp://[10.10.1.60:554') : xml) });
    const err = await probe(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraProtocolError);
    expect((err as Error).message).toBe(`camera at ${new URL(s.url).host} did not answer like an ONVIF camera: its stream address ` +
      '"rtsp://[10.10.1.60:554/Streaming/Channels/3?transportmode=unicast&profile=Profile_3" is not a valid URL');
  });

  it('a snapshot address that is not a URL is left out; recording does not need it', async () => {
    const s = await serve('pelco', { transform: (op, xml) => (op === 'GetSnapshotUri' ? xml.replace('http://10.10.1.66/jpeg', 'jpeg') : xml) });
    const r = await probe(s);
    expect(r.snapshotUri).toBeUndefined();
    expect(r.profiles.every((p) => p.snapshotUri === undefined)).toBe(true);
    expect(r.streamUri).toBe('rtsp://127.0.0.1/stream2_v');
  });

  it('an operator\'s choice of a JPEG profile is refused, naming the H.264 ones', async () => {
    const s = await serve('trendnet');
    const err = await probeCamera({ url: s.url, username: 'root', password: 'pass', profileToken: 'Profile_2' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraProfileError);
    expect((err as Error).message).toBe(`profile "Profile_2" of camera at ${new URL(s.url).host} is JPEG, not H.264; its H.264 profiles are "Profile_1" (1280x720)`);
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

  it('picks the highest-resolution H.264 profile (profile-choice.test.ts has the rest)', () => {
    const p = (token: string, encoding: string, width: number, height: number, fps = 25) => ({ token, name: token, encoding, width, height, fps });
    expect(bestH264Profile([p('sub', 'H264', 640, 360), p('jpeg', 'JPEG', 3840, 2160), p('main', 'H264', 1920, 1080), p('main10', 'H264', 1920, 1080, 10)])?.token).toBe('main');
    expect(bestH264Profile([p('h265', 'H265', 1920, 1080)])).toBeUndefined();
  });
});
