import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import { HubClient } from '../support/hub-client';
import { startHubProcess, type HubProcess } from '../support/hub-process';
import { ADMIN_PASSWORD, testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

interface Stored { seq: number; event: { kind: string; data: { n?: number } } }

async function allEvents(admin: HubClient, agentId: string): Promise<Stored[]> {
  const out: Stored[] = [];
  for (let after = 0, i = 0; i < 100; i++) {
    const page = await admin.json<Stored[]>('GET', `/api/agents/${agentId}/events?after=${after}&limit=5000`);
    out.push(...page);
    if (page.length < 5000) break;
    after = page[page.length - 1]!.seq;
  }
  return out;
}

describe('durable outbox between agent and hub', () => {
  const hubDir = tempDir('hub');
  const agentDir = tempDir('agent');
  let port: number;
  let hub: HubProcess;
  let admin: HubClient;
  let agent: Agent;
  let agentId: string;
  let token: string;

  beforeAll(async () => {
    port = await freePort();
    hub = await startHubProcess(hubDir.path, port);
    admin = new HubClient(hub.url);
    await admin.signInFirstTime('admin', hub.adminPassword!, ADMIN_PASSWORD);
    const site = await admin.createSite('Outbox parish');
    agentId = site.agent.id;
    token = site.enrolmentToken;
    ({ agent } = await testAgent(hub.url, token, agentDir.path));
    await waitFor('agent online', async () => (await admin.agent(agentId))?.online);
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop('SIGKILL');
    hubDir.remove();
    agentDir.remove();
  });

  it('delivers 500 messages produced while the hub is down exactly once and in order, across an agent restart', async () => {
    await hub.stop('SIGKILL');
    await waitFor('agent to notice the hub is gone', () => agent.link.state !== 'connected');
    for (let n = 0; n < 250; n++) await agent.emit('test.outbox', { n });
    // The gateway itself restarts while the hub is still away: the queue is on disk, not in memory.
    await agent.stop();
    ({ agent } = await testAgent(hub.url, token, agentDir.path));
    for (let n = 250; n < 500; n++) await agent.emit('test.outbox', { n });
    expect(agent.outbox.size).toBeGreaterThanOrEqual(500);

    hub = await startHubProcess(hubDir.path, port);
    admin = new HubClient(hub.url);
    await admin.signIn('admin', ADMIN_PASSWORD);
    await waitFor('outbox drained', () => agent.outbox.size === 0, 30_000);

    const events = await allEvents(admin, agentId);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // contiguous from 1: nothing lost, nothing twice
    const ns = events.filter((e) => e.event.kind === 'test.outbox').map((e) => e.event.data.n);
    expect(ns).toEqual([...Array(500).keys()]);
  });

  it('loses and duplicates nothing when the hub is killed in the middle of a burst', async () => {
    const before = (await allEvents(admin, agentId)).length;
    const acked = new Promise<void>((resolve) => agent.link.on('acked', function onAck() { agent.link.off('acked', onAck); resolve(); }));
    const burst = (async () => { for (let n = 0; n < 2000; n++) await agent.emit('test.burst', { n }); })();
    await acked; // some of the burst is stored, the rest is in flight or still queued
    await hub.stop('SIGKILL');
    await burst;
    hub = await startHubProcess(hubDir.path, port);
    admin = new HubClient(hub.url);
    await admin.signIn('admin', ADMIN_PASSWORD);
    await waitFor('outbox drained', () => agent.outbox.size === 0, 30_000);

    const events = await allEvents(admin, agentId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const ns = events.slice(before).filter((e) => e.event.kind === 'test.burst').map((e) => e.event.data.n);
    expect(ns).toEqual([...Array(2000).keys()]);
  });
});
