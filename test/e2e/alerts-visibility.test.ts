import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '@sargs/hub';
import WebSocket from 'ws';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, userWithRole } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

async function consoleSocket(hubUrl: string, c: HubClient) {
  const ws = new WebSocket(`${hubUrl.replace('http', 'ws')}/console/ws`, { headers: { cookie: c.cookie! } });
  const types: string[] = [];
  ws.on('message', (d) => types.push((JSON.parse(d.toString()) as { type: string }).type));
  await once(ws, 'open');
  return { ws, types };
}

describe('who sees alerts live', () => {
  const dir = tempDir('alertvis');
  let hub: RunningHub;
  let admin: HubClient;
  beforeAll(async () => { ({ hub, admin } = await hubWithAdmin(dir.path)); });
  afterAll(async () => { await hub?.close(); dir.remove(); });

  it('operators and admins get alert pushes; pilots and security staff do not', async () => {
    const sockets = {
      admin: await consoleSocket(hub.url, admin),
      operator: await consoleSocket(hub.url, await userWithRole(admin, 'op1', 'operator')),
      pilot: await consoleSocket(hub.url, await userWithRole(admin, 'pilot1', 'pilot')),
      security: await consoleSocket(hub.url, await userWithRole(admin, 'sec1', 'security')),
    };
    await waitFor('snapshots', () => Object.values(sockets).every((s) => s.types.includes('fleet.snapshot')));
    await hub.alerts.raise({ key: 'test:1', kind: 'disk.low', severity: 'warning', siteId: 'site-x', title: 'Disk low at Test parish', detail: 'test' });
    await waitFor('operator got it', () => sockets.operator.types.includes('alert.changed'));
    expect(sockets.admin.types).toContain('alert.changed');
    // Something after the alert, so "not received" is not just "not received yet".
    await admin.createSite('After the alert');
    await waitFor('site change reached everyone', () => Object.values(sockets).every((s) => s.types.includes('site.changed')));
    expect(sockets.pilot.types).not.toContain('alert.changed');
    expect(sockets.security.types).not.toContain('alert.changed');
    for (const s of Object.values(sockets)) s.ws.close();
  });
});
