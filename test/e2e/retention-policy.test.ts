import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import type { RunningHub } from '@sargs/hub';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent, userWithRole } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

describe('retention policy and legal holds set in the hub', () => {
  const hubDir = tempDir('hub');
  const agentDir = tempDir('agent');
  let hub: RunningHub;
  let admin: HubClient;
  let agent: Agent;
  let cam: SimulatedCamera;
  let siteId: string;
  let cameraId: string;

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(hubDir.path));
    const site = await admin.createSite('Retention parish');
    siteId = site.site.id;
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, agentDir.path, { recordings: { segmentSeconds: 2 } }));
    await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
    cam = await SimulatedCamera.start({ name: 'Archive', username: 'admin', password: 'archive-pw' });
    cameraId = (await admin.json<{ id: string }>('POST', `/api/sites/${siteId}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: 'archive-pw' })).id;
  });
  afterAll(async () => {
    await agent?.stop();
    await cam?.stop();
    await hub?.close();
    hubDir.remove();
    agentDir.remove();
  });

  it('refuses more than 72 hours without a recorded purpose, and a security user may not change it', async () => {
    const r = await admin.request('PUT', `/api/sites/${siteId}/retention`, { maxAgeHours: 168, minFreePercent: 5 });
    expect(r.status).toBe(400);
    expect((r.body as { error: string }).error).toMatch(/above 72 needs a recorded purpose/);
    const security = await userWithRole(admin, 'guard1', 'security');
    expect((await security.request('PUT', `/api/sites/${siteId}/retention`, { maxAgeHours: 24, minFreePercent: 5 })).status).toBe(403);
  });

  it('a shorter maximum age reaches the agent and deletes old footage on its disk, except what is under a legal hold', async () => {
    const segs = await waitFor('four segments', async () => { const all = await agent.cameras.index.all(cameraId); return all.length >= 4 ? all : undefined; }, 40_000);
    const held = segs[0]!;
    const hold = await admin.json<{ id: string }>('POST', `/api/cameras/${cameraId}/holds`, { from: held.start, to: held.end, reason: 'police request 17/2026' });
    const root = agent.config.recordingsDir;
    const others = segs.slice(1, 3);

    // About 7 seconds: everything but the newest footage is past it at once.
    const r = await admin.request('PUT', `/api/sites/${siteId}/retention`, { maxAgeHours: 0.002, minFreePercent: 1, purpose: undefined });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ policy: { maxAgeHours: 0.002 }, applied: { agentId: expect.any(String) }, pending: false });
    // Once that footage is older than the new maximum, the next sweep (every minute; run now) deletes it.
    await waitFor('footage past the new maximum age', () => Date.now() - Date.parse(others[1]!.end) > 7200 + 500, 20_000);
    await agent.cameras.retention.sweepOnce();
    expect(others.filter((s) => existsSync(join(root, s.path)))).toEqual([]);
    expect(existsSync(join(root, held.path))).toBe(true);

    const view = await admin.json<{ set: { applied?: unknown }; storage: { cameras: { cameraId: string; daysRetained: number }[]; daysUntilFloor: number | null } }>('GET', `/api/sites/${siteId}/retention`);
    expect(view.set.applied).toBeDefined();
    expect(view.storage.cameras.find((c) => c.cameraId === cameraId)).toBeDefined();

    // Released, the held footage is old like the rest and goes at the next sweep.
    await admin.json('DELETE', `/api/cameras/${cameraId}/holds/${hold.id}?reason=${encodeURIComponent('case closed, 2026-11-27')}`);
    await agent.cameras.retention.sweepOnce();
    expect(existsSync(join(root, held.path))).toBe(false);

    const audit = await admin.json<{ entries: { action: string }[] }>('GET', '/api/audit?limit=50');
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['legal-hold.place', 'legal-hold.release', 'retention.change']));
  });
});
