import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubStore } from '@sargs/hub';
import { HubClient } from '../support/hub-client';
import { startHubProcess, type HubProcess } from '../support/hub-process';
import { tempDir } from '../support/paths';
import { freePort } from '../support/ports';

describe('sign-in', () => {
  const dir = tempDir('signin');
  let hub: HubProcess;
  let port: number;
  let firstPassword: string;

  beforeAll(async () => {
    port = await freePort();
    hub = await startHubProcess(dir.path, port);
    firstPassword = hub.adminPassword!;
  });
  afterAll(async () => { await hub?.stop(); dir.remove(); });

  it('the first start prints a one-time admin password once; there is no default password', async () => {
    expect(firstPassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
    for (const guess of ['admin', 'password', 'sargs', '']) {
      expect((await new HubClient(hub.url).request('POST', '/api/session', { username: 'admin', password: guess })).status).not.toBe(200);
    }
    await hub.stop();
    hub = await startHubProcess(dir.path, port);
    expect(hub.adminPassword).toBeUndefined();
    expect(hub.output.join('\n')).not.toContain(firstPassword);
  });

  it('sets an httpOnly, SameSite=Strict session cookie; the store holds only a scrypt hash', async () => {
    const r = await fetch(`${hub.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: firstPassword }) });
    expect(r.status).toBe(200);
    const cookie = r.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sargs_session=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(hub.output.join('\n')).not.toContain(cookie.split(';')[0]!.split('=')[1]);

    await hub.stop();
    const store = await HubStore.open(join(dir.path, 'hub.db'));
    const admin = await store.getUser('admin');
    await store.close();
    expect(admin?.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(admin?.passwordHash).not.toContain(firstPassword);
    hub = await startHubProcess(dir.path, port);
  });

  it('rate-limits failed sign-ins per account with 429 and Retry-After, even for the right password', async () => {
    const c = new HubClient(hub.url);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await c.request('POST', '/api/session', { username: 'admin', password: `guess ${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const locked = await c.request('POST', '/api/session', { username: 'admin', password: firstPassword });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
