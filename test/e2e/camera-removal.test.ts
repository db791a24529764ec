// A camera removed at the site (by the agent itself, not through the hub) leaves the hub's list,
// and one added back returns: the hub follows the agent's durable camera.removed/added events.
import type { Agent } from '@sargs/agent';
import { startHub, type RunningHub } from '@sargs/hub';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../support/hub-client';
import { ADMIN_PASSWORD, hubWithAdmin, testAgent } from '../support/in-process';
import { capturedLogger } from '../support/log-capture';
import { consoleDir, tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

describe('cameras removed at the site', () => {
  const hubDir = tempDir('hub');
  const agentDir = tempDir('agent');
  let hub: RunningHub;
  let admin: HubClient;
  let agent: Agent;
  const cams: SimulatedCamera[] = [];

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(hubDir.path));
    const site = await admin.createSite('Removal parish');
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, agentDir.path));
    for (const name of ['Gate', 'Hall']) cams.push(await SimulatedCamera.start({ name, username: 'admin', password: `${name}-secret` }));
    await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
  });
  afterAll(async () => {
    await agent?.stop();
    for (const c of cams) await c.stop();
    await hub?.close();
    hubDir.remove();
    agentDir.remove();
  });

  const hubCameraIds = async () => (await admin.json<{ info: { id: string } }[]>('GET', '/api/cameras')).map((c) => c.info.id).sort();

  it('the hub drops a camera the agent removed, keeps the other, and lists it again when it is added back', async () => {
    const ids: string[] = [];
    for (const c of cams) ids.push((await agent.cameras.add({ url: c.deviceServiceUrl, username: 'admin', password: `${c.name}-secret`, name: c.name })).id);
    await waitFor('both cameras at the hub', async () => (await hubCameraIds()).length === 2);

    expect(await agent.cameras.remove(ids[0]!)).toBe(true);
    await waitFor('the removed camera gone from the hub', async () => !(await hubCameraIds()).includes(ids[0]!));
    expect(await hubCameraIds()).toEqual([ids[1]]);

    // A hub restart reads its list from disk: the removal was stored, not only forgotten in memory.
    const port = Number(new URL(hub.url).port);
    await hub.close();
    hub = await startHub({ dataDir: hubDir.path, port, consoleDir, logger: capturedLogger('hub').logger });
    admin = new HubClient(hub.url);
    await admin.signIn('admin', ADMIN_PASSWORD);
    expect(await hubCameraIds()).toEqual([ids[1]]);

    await agent.cameras.add({ url: cams[0]!.deviceServiceUrl, username: 'admin', password: 'Gate-secret', name: 'Gate' });
    await waitFor('the camera back at the hub', async () => (await hubCameraIds()).length === 2);
    expect(await hubCameraIds()).toEqual([...ids].sort());
  });
});
