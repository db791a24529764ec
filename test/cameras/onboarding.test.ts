import { randomBytes } from 'node:crypto';
import { CameraUnauthorizedError, CameraUnreachableError } from '@sargs/agent/cameras/camera-errors';
import { CameraStore } from '@sargs/agent/cameras/camera-store';
import { decryptSecret } from '@sargs/agent/cameras/credentials';
import { addCamera } from '@sargs/agent/cameras/onboarding';
import { CameraProfileError } from '@sargs/agent/cameras/profile-choice';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { tempDir } from '../support/paths';
import { fixtureCamera, type FakeServer } from './fake-onvif-server';

describe('adding a camera', () => {
  const dir = tempDir('onboarding');
  const key = randomBytes(32);
  let cam: SimulatedCamera;
  let db: Level<string, unknown>;
  let store: CameraStore;
  const servers: FakeServer[] = [];

  beforeAll(async () => {
    cam = await SimulatedCamera.start({ name: 'Loading Bay', username: 'admin', password: 'pw-1' });
    db = new Level<string, unknown>(dir.path, { valueEncoding: 'json' });
    await db.open();
    store = CameraStore.open(db);
  });
  afterAll(async () => {
    await Promise.all([cam?.stop(), ...servers.map((s) => s.close())]);
    await db?.close();
    dir.remove();
  });

  it('probes, keeps every profile, records the best H.264 one, knows the sub-stream and stores the password encrypted', async () => {
    // A gateway clock 90 s behind the camera's (which is the host's).
    const clock = { now: () => Date.now() - 90_000 };
    const rec = await addCamera({ url: cam.deviceServiceUrl, username: 'admin', password: 'pw-1', name: 'Loading Bay' }, { store, key, clock });
    expect(rec).toMatchObject({
      name: 'Loading Bay', deviceUrl: cam.deviceServiceUrl, manufacturer: 'Sargs', model: 'SimCam 1000',
      firmwareVersion: '1.0.0', serialNumber: cam.state.serialNumber,
      encoding: 'H264', width: 640, height: 360, fps: 25, username: 'admin',
      streamUri: cam.rtspUrl, snapshotUri: cam.snapshotUrl, mainProfileToken: 'Profile_1', subProfileToken: 'Profile_2',
    });
    expect(rec.profiles).toEqual([
      { token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 640, height: 360, fps: 25, bitrate: 800, streamUri: cam.rtspUrl, snapshotUri: cam.snapshotUrl },
      { token: 'Profile_2', name: 'subStream', encoding: 'H264', width: 320, height: 180, fps: 25, bitrate: 200, streamUri: cam.subRtspUrl, snapshotUri: cam.subSnapshotUrl },
    ]);
    expect(rec).not.toHaveProperty('chosenProfileToken');
    expect(Math.abs((rec.clockOffsetMs ?? 0) - 90_000)).toBeLessThan(1500);
    expect(Math.abs(Date.parse(rec.addedAt) - (Date.now() - 90_000))).toBeLessThan(5000);
    expect(rec.id).toMatch(/^cam-[0-9a-f]{12}$/);
    expect(rec.passwordEnc).toMatch(/^v1:/);
    expect(JSON.stringify(rec)).not.toContain('pw-1');
    expect(decryptSecret(rec.passwordEnc, key)).toBe('pw-1');
    expect(await store.get(rec.id)).toEqual(rec);
  });

  it('adding the same camera again updates it under the same id, keeping addedAt and name', async () => {
    const [before] = await store.list();
    cam.setPassword('pw-2');
    const again = await addCamera({ url: cam.deviceServiceUrl, username: 'admin', password: 'pw-2' }, { store, key });
    expect(again.id).toBe(before?.id);
    expect(again.addedAt).toBe(before?.addedAt);
    expect(again.name).toBe('Loading Bay');
    expect(decryptSecret(again.passwordEnc, key)).toBe('pw-2');
    expect(await store.list()).toHaveLength(1);
  });

  it('an operator\'s choice of profile is recorded, and kept when the camera is added again without one', async () => {
    const [before] = await store.list();
    const sub = await addCamera({ url: cam.deviceServiceUrl, username: 'admin', password: 'pw-2', profileToken: 'Profile_2' }, { store, key });
    expect(sub).toMatchObject({
      id: before?.id, mainProfileToken: 'Profile_2', subProfileToken: 'Profile_2', chosenProfileToken: 'Profile_2',
      encoding: 'H264', width: 320, height: 180, streamUri: cam.subRtspUrl, snapshotUri: cam.subSnapshotUrl,
    });
    expect(sub.profiles).toHaveLength(2);
    const again = await addCamera({ url: cam.deviceServiceUrl, username: 'admin', password: 'pw-2' }, { store, key });
    expect(again).toMatchObject({ mainProfileToken: 'Profile_2', streamUri: cam.subRtspUrl });
    const back = await addCamera({ url: cam.deviceServiceUrl, username: 'admin', password: 'pw-2', profileToken: 'Profile_1' }, { store, key });
    expect(back).toMatchObject({ mainProfileToken: 'Profile_1', subProfileToken: 'Profile_2', streamUri: cam.rtspUrl, width: 640 });
  });

  it('a profile the camera lacks is refused with a clear error and changes nothing', async () => {
    const [before] = await store.list();
    const err = await addCamera({ url: cam.deviceServiceUrl, username: 'admin', password: 'pw-2', profileToken: 'Profile_3' }, { store, key }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraProfileError);
    expect((err as Error).message).toMatch(/has no profile "Profile_3"; its H\.264 profiles are "Profile_1" \(640x360\), "Profile_2" \(320x180\)$/);
    expect(await store.list()).toEqual([before]);
  });

  it('the camera errors propagate unchanged and nothing is stored', async () => {
    await expect(addCamera({ url: cam.deviceServiceUrl, username: 'admin', password: 'wrong' }, { store, key })).rejects.toBeInstanceOf(CameraUnauthorizedError);
    await expect(addCamera({ url: 'http://127.0.0.1:1/onvif/device_service', username: 'a', password: 'b' }, { store, key })).rejects.toBeInstanceOf(CameraUnreachableError);
    expect(await store.list()).toHaveLength(1);
  });

  it('a real camera\'s replies (Hikvision): highest-resolution H.264 profile, default name from the model', async () => {
    const s = await fixtureCamera('hikvision');
    servers.push(s);
    const rec = await addCamera({ url: s.url, username: 'admin', password: '12345' }, { store, key });
    expect(rec).toMatchObject({
      mainProfileToken: 'Profile_1', subProfileToken: 'Profile_2', width: 1280, height: 720, fps: 10, encoding: 'H264', manufacturer: 'HIKVISION',
      serialNumber: 'DS-2DF7276-AEL20140613CCWR468714298B', firmwareVersion: 'V5.1.6 build 140401',
      // The capture names the camera's own network; the agent reached it here.
      streamUri: 'rtsp://127.0.0.1:554/Streaming/Channels/3?transportmode=unicast&profile=Profile_3',
      reportedStreamUri: 'rtsp://10.10.1.60:554/Streaming/Channels/3?transportmode=unicast&profile=Profile_3',
      snapshotUri: 'http://127.0.0.1/onvif/snapshot', reportedSnapshotUri: 'http://10.10.1.60/onvif/snapshot',
    });
    expect(rec.profiles.map((p) => `${p.token} ${p.width}x${p.height}`)).toEqual(['Profile_1 1280x720', 'Profile_2 704x480', 'Profile_3 704x480']);
    expect(rec.name).toMatch(/^HIKVISION /);
    expect(await store.list()).toHaveLength(2);
  });

  it('two cameras whose long digit serials differ only in the last digits are two cameras', async () => {
    const withSerial = (serial: string) => fixtureCamera('pelco', { transform: (op, xml) => (op === 'GetDeviceInformation' ? xml.replace(/(SerialNumber>)[^<]*/, `$1${serial}`) : xml) });
    // As floats both would be 1.2345678901234568e+29.
    const [a, b] = await Promise.all([withSerial('123456789012345678901234567801'), withSerial('123456789012345678901234567802')]);
    servers.push(a, b);
    const ra = await addCamera({ url: a.url, username: 'admin', password: 'x' }, { store, key });
    const rb = await addCamera({ url: b.url, username: 'admin', password: 'x' }, { store, key });
    expect(ra.serialNumber).toBe('123456789012345678901234567801');
    expect(rb.serialNumber).toBe('123456789012345678901234567802');
    expect(ra.id).not.toBe(rb.id);
    expect(await store.list()).toHaveLength(4);
  });
});
