import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraStore } from './camera-store';
import type { CameraRecord } from './types';

const profile = { token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 1920, height: 1080, fps: 25, streamUri: 'rtsp://10.0.0.1/stream' };
const camera = (id: string, extra: Partial<CameraRecord> = {}): CameraRecord => ({
  id, name: `Camera ${id}`, deviceUrl: `http://10.0.0.${id.length}/onvif/device_service`, username: 'admin',
  passwordEnc: 'v1:aaaa:bbbb:cccc', streamUri: 'rtsp://10.0.0.1/stream', addedAt: '2026-01-01T00:00:00.000Z',
  profiles: [profile], mainProfileToken: 'Profile_1', subProfileToken: 'Profile_1',
  ...extra,
});

describe('camera store', () => {
  const dirs: string[] = [];
  const open = async (dir?: string) => {
    const d = dir ?? mkdtempSync(join(tmpdir(), 'sargs-cameras-'));
    if (!dir) dirs.push(d);
    const db = new Level<string, unknown>(d, { valueEncoding: 'json' });
    await db.open();
    return { d, db, store: CameraStore.open(db) };
  };
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('puts, gets, lists and removes cameras, and keeps them across a reopen', async () => {
    const { d, db, store } = await open();
    await store.put(camera('cam-b'));
    await store.put(camera('cam-a', { snapshotUri: 'http://10.0.0.1/snap.jpg' }));
    await db.put('unrelated', { x: 1 });
    expect(await store.get('cam-a')).toEqual(camera('cam-a', { snapshotUri: 'http://10.0.0.1/snap.jpg' }));
    expect(await store.get('nope')).toBeUndefined();
    expect((await store.list()).map((c) => c.id)).toEqual(['cam-a', 'cam-b']);

    await store.put(camera('cam-b', { name: 'Renamed' }));
    expect((await store.get('cam-b'))?.name).toBe('Renamed');
    expect(await store.remove('cam-a')).toBe(true);
    expect(await store.remove('cam-a')).toBe(false);
    await db.close();

    const again = await open(d);
    expect((await again.store.list()).map((c) => c.name)).toEqual(['Renamed']);
    await again.db.close();
  });

  it('loads a record an older agent wrote (one profile, addresses as reported) as main and sub profile, reached host, no credentials', async () => {
    const { d, db, store } = await open();
    const old = {
      id: 'cam-old', name: 'Gate', deviceUrl: 'http://192.168.5.20:8080/onvif/device_service', manufacturer: 'AXIS', model: 'M3045',
      encoding: 'H264', width: 1280, height: 720, fps: 30, clockOffsetMs: 120, username: 'admin', passwordEnc: 'v1:aaaa:bbbb:cccc',
      streamUri: 'rtsp://root:pass@10.1.1.9:554/axis-media/media.amp?videocodec=h264', snapshotUri: 'http://192.168.5.20/jpg/image.jpg',
      profileToken: 'profile_1_h264', addedAt: '2025-06-01T00:00:00.000Z',
    };
    await db.sublevel<string, unknown>('cameras', { valueEncoding: 'json' }).put('cam-old', old);
    const upgraded = {
      id: 'cam-old', name: 'Gate', deviceUrl: old.deviceUrl, manufacturer: 'AXIS', model: 'M3045', encoding: 'H264', width: 1280, height: 720, fps: 30,
      clockOffsetMs: 120, username: 'admin', passwordEnc: old.passwordEnc, addedAt: old.addedAt,
      streamUri: 'rtsp://192.168.5.20:554/axis-media/media.amp?videocodec=h264',
      reportedStreamUri: 'rtsp://10.1.1.9:554/axis-media/media.amp?videocodec=h264',
      snapshotUri: 'http://192.168.5.20/jpg/image.jpg',
      profiles: [{
        token: 'profile_1_h264', name: 'profile_1_h264', encoding: 'H264', width: 1280, height: 720, fps: 30,
        streamUri: 'rtsp://192.168.5.20:554/axis-media/media.amp?videocodec=h264',
        reportedStreamUri: 'rtsp://10.1.1.9:554/axis-media/media.amp?videocodec=h264',
        snapshotUri: 'http://192.168.5.20/jpg/image.jpg',
      }],
      mainProfileToken: 'profile_1_h264', subProfileToken: 'profile_1_h264',
    };
    expect(await store.get('cam-old')).toEqual(upgraded);
    expect(await store.list()).toEqual([upgraded]);
    expect(JSON.stringify(await store.list())).not.toContain('pass@');
    await db.close();

    // What a reopened agent reads is the same, and a new write replaces the old shape.
    const again = await open(d);
    expect(await again.store.get('cam-old')).toEqual(upgraded);
    await again.store.put(upgraded);
    expect(await again.db.sublevel<string, unknown>('cameras', { valueEncoding: 'json' }).get('cam-old')).not.toHaveProperty('profileToken');
    await again.db.close();
  });

  it('refuses a record whose password is not encrypted', async () => {
    const { db, store } = await open();
    await expect(store.put(camera('cam-x', { passwordEnc: 'hunter2' }))).rejects.toThrow(/not an encrypted secret/);
    expect(await store.list()).toEqual([]);
    await db.close();
  });
});
