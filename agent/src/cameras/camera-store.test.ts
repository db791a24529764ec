import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraStore } from './camera-store';
import type { CameraRecord } from './types';

const camera = (id: string, extra: Partial<CameraRecord> = {}): CameraRecord => ({
  id, name: `Camera ${id}`, deviceUrl: `http://10.0.0.${id.length}/onvif/device_service`, username: 'admin',
  passwordEnc: 'v1:aaaa:bbbb:cccc', streamUri: 'rtsp://10.0.0.1/stream', profileToken: 'Profile_1', addedAt: '2026-01-01T00:00:00.000Z',
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

  it('refuses a record whose password is not encrypted', async () => {
    const { db, store } = await open();
    await expect(store.put(camera('cam-x', { passwordEnc: 'hunter2' }))).rejects.toThrow(/not an encrypted secret/);
    expect(await store.list()).toEqual([]);
    await db.close();
  });
});
