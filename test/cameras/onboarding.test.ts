import { randomBytes } from 'node:crypto';
import { CameraUnauthorizedError, CameraUnreachableError } from '@sargs/agent/cameras/camera-errors';
import { CameraStore } from '@sargs/agent/cameras/camera-store';
import { decryptSecret } from '@sargs/agent/cameras/credentials';
import { addCamera } from '@sargs/agent/cameras/onboarding';
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

  it('probes, keeps the best H.264 profile and stores the password encrypted', async () => {
    // A gateway clock 90 s behind the camera's (which is the host's).
    const clock = { now: () => Date.now() - 90_000 };
    const rec = await addCamera({ url: cam.deviceServiceUrl, username: 'admin', password: 'pw-1', name: 'Loading Bay' }, { store, key, clock });
    expect(rec).toMatchObject({
      name: 'Loading Bay', deviceUrl: cam.deviceServiceUrl, manufacturer: 'Sargs', model: 'SimCam 1000',
      encoding: 'H264', width: 640, height: 360, fps: 25, username: 'admin',
      streamUri: cam.rtspUrl, snapshotUri: cam.snapshotUrl, profileToken: 'Profile_1',
    });
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

  it('the camera errors propagate unchanged and nothing is stored', async () => {
    await expect(addCamera({ url: cam.deviceServiceUrl, username: 'admin', password: 'wrong' }, { store, key })).rejects.toBeInstanceOf(CameraUnauthorizedError);
    await expect(addCamera({ url: 'http://127.0.0.1:1/onvif/device_service', username: 'a', password: 'b' }, { store, key })).rejects.toBeInstanceOf(CameraUnreachableError);
    expect(await store.list()).toHaveLength(1);
  });

  it('a real camera\'s replies (Hikvision): highest-resolution H.264 profile, default name from the model', async () => {
    const s = await fixtureCamera('hikvision');
    servers.push(s);
    const rec = await addCamera({ url: s.url, username: 'admin', password: '12345' }, { store, key });
    expect(rec).toMatchObject({ profileToken: 'Profile_1', width: 1280, height: 720, fps: 10, encoding: 'H264', manufacturer: 'HIKVISION' });
    expect(rec.name).toMatch(/^HIKVISION /);
    expect(await store.list()).toHaveLength(2);
  });
});
