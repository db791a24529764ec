import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceInformation, MediaUri, Profile } from 'onvif';
import { SimulatedCamera } from './index';
import { call, connectCam, soap, tcpProbe } from './test-helpers';

const USER = 'admin';
const PASSWORD = 'correct horse';
const MEDIA_NS = 'http://www.onvif.org/ver10/media/wsdl';

describe('simulated camera: ONVIF', () => {
  let cam: SimulatedCamera;

  beforeAll(async () => {
    cam = await SimulatedCamera.start({ name: 'Front Gate', username: USER, password: PASSWORD });
  });
  afterAll(async () => {
    await cam?.stop();
  });

  const client = (password = PASSWORD) =>
    connectCam({ hostname: cam.host, port: cam.onvifPort, username: USER, password });

  it('serves device information, profiles, stream and snapshot URIs to the onvif client', async () => {
    const c = await client();
    const info = await call<DeviceInformation>((cb) => c.getDeviceInformation(cb));
    expect(info).toMatchObject({ manufacturer: 'Sargs', model: 'SimCam 1000' });

    const profiles = await call<Profile[]>((cb) => c.getProfiles(cb));
    expect(profiles.map((p) => [p.$.token, p.name])).toEqual([['Profile_1', 'mainStream'], ['Profile_2', 'subStream']]);
    expect(profiles[0]?.videoEncoderConfiguration).toMatchObject({ encoding: 'H264', resolution: { width: 640, height: 360 }, rateControl: { frameRateLimit: 25, bitrateLimit: 800 } });
    expect(profiles[1]?.videoEncoderConfiguration).toMatchObject({ encoding: 'H264', resolution: { width: 320, height: 180 }, rateControl: { frameRateLimit: 25, bitrateLimit: 200 } });
    expect(c.activeSource).toMatchObject({ profileToken: 'Profile_1', width: 640, height: 360, fps: 25 });

    const stream = await call<MediaUri>((cb) => c.getStreamUri({ protocol: 'RTSP' }, cb));
    expect(stream.uri).toBe(cam.rtspUrl);
    expect(stream.uri).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/stream$/);
    const sub = await call<MediaUri>((cb) => c.getStreamUri({ protocol: 'RTSP', profileToken: 'Profile_2' }, cb));
    expect(sub.uri).toBe(cam.subRtspUrl);
    expect(sub.uri).toBe(`rtsp://127.0.0.1:${cam.rtspPort}/sub`);
    await expect(call<MediaUri>((cb) => c.getStreamUri({ protocol: 'RTSP', profileToken: 'Profile_9' }, cb))).rejects.toThrow(/NoProfile|profile/i);

    const snapshot = await call<MediaUri>((cb) => c.getSnapshotUri({}, cb));
    expect(snapshot.uri).toBe(cam.snapshotUrl);
    const res = await fetch(snapshot.uri, { signal: AbortSignal.timeout(5000) });
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    expect([jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd9]);

    const subSnapshot = await call<MediaUri>((cb) => c.getSnapshotUri({ profileToken: 'Profile_2' }, cb));
    expect(subSnapshot.uri).toBe(cam.subSnapshotUrl);
    const small = Buffer.from(await (await fetch(subSnapshot.uri, { signal: AbortSignal.timeout(5000) })).arrayBuffer());
    expect([small[0], small[1]]).toEqual([0xff, 0xd8]);
    expect(small.length).toBeLessThan(jpeg.length);
  });

  it('with a reported host, writes it into stream and snapshot URIs only, while it serves where it is reached', async () => {
    const nat = await SimulatedCamera.start({ name: 'Behind NAT', username: USER, password: PASSWORD, reportedHost: '0.0.0.0' });
    try {
      const c = await connectCam({ hostname: nat.host, port: nat.onvifPort, username: USER, password: PASSWORD });
      const [main, sub, snap] = await Promise.all([
        call<MediaUri>((cb) => c.getStreamUri({ protocol: 'RTSP', profileToken: 'Profile_1' }, cb)),
        call<MediaUri>((cb) => c.getStreamUri({ protocol: 'RTSP', profileToken: 'Profile_2' }, cb)),
        call<MediaUri>((cb) => c.getSnapshotUri({ profileToken: 'Profile_1' }, cb)),
      ]);
      expect(main.uri).toBe(`rtsp://0.0.0.0:${nat.rtspPort}/stream`);
      expect(main.uri).toBe(nat.reportedRtspUrl);
      expect(sub.uri).toBe(`rtsp://0.0.0.0:${nat.rtspPort}/sub`);
      expect(snap.uri).toBe(`http://0.0.0.0:${nat.onvifPort}/onvif/snapshot.jpg`);
      expect(nat.rtspUrl).toBe(`rtsp://127.0.0.1:${nat.rtspPort}/stream`);
      // The device service's own addresses are not part of the act.
      const caps = await soap(nat.deviceServiceUrl, { operation: 'GetCapabilities', credentials: { username: USER, password: PASSWORD } });
      expect(caps.body).toContain(`http://127.0.0.1:${nat.onvifPort}/onvif/media_service`);
    } finally {
      await nat.stop();
    }
  });

  it('refuses a wrong password with ter:NotAuthorized', async () => {
    await expect(client('wrong')).rejects.toThrow(/Sender not Authorized/);

    const raw = await soap(cam.deviceServiceUrl, { operation: 'GetDeviceInformation', credentials: { username: USER, password: 'wrong' } });
    expect(raw.status).toBe(400);
    expect(raw.contentType).toMatch(/^application\/soap\+xml/);
    expect(raw.body).toMatch(/<SOAP-ENV:Value>ter:NotAuthorized<\/SOAP-ENV:Value>/);

    const noToken = await soap(cam.mediaServiceUrl, { operation: 'GetProfiles', ns: MEDIA_NS });
    expect(noToken.status).toBe(400);
    expect(noToken.body).toContain('ter:NotAuthorized');
  });

  it('accepts PasswordText and follows setPassword', async () => {
    const plain = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>
      <wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
      <wsse:UsernameToken><wsse:Username>${USER}</wsse:Username>
      <wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${PASSWORD}</wsse:Password>
      </wsse:UsernameToken></wsse:Security></s:Header>
      <s:Body><tds:GetDeviceInformation xmlns:tds="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>`;
    const res = await fetch(cam.deviceServiceUrl, { method: 'POST', headers: { 'Content-Type': 'application/soap+xml' }, body: plain });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<tds:Manufacturer>Sargs</tds:Manufacturer>');

    cam.setPassword('rotated');
    try {
      await expect(client()).rejects.toThrow(/not Authorized/);
      const c = await client('rotated');
      await expect(call<DeviceInformation>((cb) => c.getDeviceInformation(cb))).resolves.toMatchObject({ model: 'SimCam 1000' });
    } finally {
      cam.setPassword(PASSWORD);
    }
  });

  it('reports its skewed clock and rejects tokens created too far from it', async () => {
    const skew = 3 * 3600_000;
    cam.skewClock(skew);
    try {
      const res = await soap(cam.deviceServiceUrl, { operation: 'GetSystemDateAndTime' });
      expect(res.status).toBe(200);
      const n = (tag: string): number => Number(new RegExp(`<tt:UTCDateTime>.*<tt:${tag}>(\\d+)</tt:${tag}>`).exec(res.body)?.[1]);
      const camTime = Date.UTC(n('Year'), n('Month') - 1, n('Day'), n('Hour'), n('Minute'), n('Second'));
      expect(Math.abs(camTime - (Date.now() + skew))).toBeLessThan(5000);

      // A client trusting its own clock is refused, like by an Axis with replay protection...
      const creds = { username: USER, password: PASSWORD };
      const hostClock = await soap(cam.deviceServiceUrl, { operation: 'GetDeviceInformation', credentials: creds });
      expect(hostClock.status).toBe(400);
      expect(hostClock.body).toContain('ter:NotAuthorized');
      // ...one that adjusts to the camera clock is let in.
      const camClock = await soap(cam.deviceServiceUrl, { operation: 'GetDeviceInformation', credentials: creds, created: new Date(Date.now() + skew) });
      expect(camClock.status).toBe(200);
      // The onvif library reads the camera clock first, so it copes too.
      const c = await client();
      expect((await call<Date>((cb) => c.getSystemDateAndTime(cb))).getTime()).toBeGreaterThan(Date.now() + skew - 5000);
    } finally {
      cam.skewClock(0);
    }
  });

  it('speaks SOAP 1.1 to SOAP 1.1 clients', async () => {
    const res = await soap(cam.deviceServiceUrl, { operation: 'GetSystemDateAndTime', version: '1.1' });
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/xml/);
    expect(res.body).toContain('xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"');
    const denied = await soap(cam.deviceServiceUrl, { operation: 'GetCapabilities', version: '1.1' });
    expect(denied.status).toBe(400);
    expect(denied.body).toContain('<faultcode>SOAP-ENV:Client</faultcode>');
  });

  it('answers SetSynchronizationPoint with ter:ActionNotSupported: a looped clip cannot make a keyframe', async () => {
    const creds = { username: USER, password: PASSWORD };
    const before = cam.syncPoints.length;
    const res = await soap(cam.mediaServiceUrl, { operation: 'SetSynchronizationPoint', ns: MEDIA_NS, inner: '<ProfileToken>Profile_2</ProfileToken>', credentials: creds });
    expect(res.status).toBe(400);
    expect(res.body).toContain('ter:ActionNotSupported');
    expect(cam.syncPoints.slice(before)).toEqual([expect.objectContaining({ profileToken: 'Profile_2', keyframe: false })]);
    const noProfile = await soap(cam.mediaServiceUrl, { operation: 'SetSynchronizationPoint', ns: MEDIA_NS, inner: '<ProfileToken>Profile_9</ProfileToken>', credentials: creds });
    expect(noProfile.body).toContain('ter:NoProfile');
    // Signed like every other media call.
    expect((await soap(cam.mediaServiceUrl, { operation: 'SetSynchronizationPoint', ns: MEDIA_NS, inner: '<ProfileToken>Profile_1</ProfileToken>' })).body).toContain('ter:NotAuthorized');
  });

  it('faults unknown operations, malformed XML and oversized bodies', async () => {
    const creds = { username: USER, password: PASSWORD };
    const unknown = await soap(cam.deviceServiceUrl, { operation: 'GetDot11Capabilities', credentials: creds });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('ter:ActionNotSupported');
    // Media operations live on the media service only, like on cameras with separate XAddrs.
    const wrongService = await soap(cam.deviceServiceUrl, { operation: 'GetProfiles', ns: MEDIA_NS, credentials: creds });
    expect(wrongService.body).toContain('ter:ActionNotSupported');

    const post = (body: string) => fetch(cam.deviceServiceUrl, { method: 'POST', headers: { 'Content-Type': 'application/soap+xml' }, body });
    const malformed = await post('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x></s:Body>');
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('ter:WellFormed');

    const huge = await post(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>${'x'.repeat(1024 * 1024 + 10)}</s:Body></s:Envelope>`);
    expect(huge.status).toBe(413);
    expect(await huge.text()).toContain('SOAP-ENV:Fault');
  });

  it('refuses TCP connections on request and accepts them again', async () => {
    const { onvifPort, rtspPort } = cam;
    await cam.refuseConnections();
    expect(await tcpProbe(cam.host, onvifPort)).toBe('ECONNREFUSED');
    expect(await tcpProbe(cam.host, rtspPort)).toBe('ECONNREFUSED');
    await expect(client()).rejects.toThrow(/ECONNREFUSED/);

    await cam.acceptConnections();
    expect(cam.onvifPort).toBe(onvifPort);
    expect(cam.rtspPort).toBe(rtspPort);
    expect(await tcpProbe(cam.host, onvifPort)).toBe('connected');
    expect(await tcpProbe(cam.host, rtspPort)).toBe('connected');
    const c = await client();
    await expect(call<DeviceInformation>((cb) => c.getDeviceInformation(cb))).resolves.toMatchObject({ manufacturer: 'Sargs' });
  });
});
