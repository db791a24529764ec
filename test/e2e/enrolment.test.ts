import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '@sargs/hub';
import WebSocket from 'ws';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

/** Opens the agent socket with a token and reports how the hub answered the upgrade. */
function dial(hubUrl: string, token: string): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${hubUrl.replace(/^http/, 'ws')}/agent/ws`, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => { ws.close(); resolve({ status: 101 }); });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, error: (JSON.parse(body) as { error: string }).error }));
    });
    ws.on('error', () => undefined);
  });
}

describe('agent enrolment tokens', () => {
  const dir = tempDir('enrol');
  let hub: RunningHub;
  let admin: HubClient;

  beforeAll(async () => { ({ hub, admin } = await hubWithAdmin(dir.path)); });
  afterAll(async () => { await hub?.close(); dir.remove(); });

  it('refuses a wrong or malformed token with a reason the agent can show', async () => {
    const { enrolmentToken } = await admin.createSite('Token parish');
    const [prefix, id] = enrolmentToken.split('.');
    expect(await dial(hub.url, `${prefix}.${id}.not-the-secret`)).toEqual({ status: 401, error: 'enrolment token is not known to this hub' });
    expect(await dial(hub.url, 'hello')).toEqual({ status: 401, error: 'enrolment token is malformed' });
    expect(await dial(hub.url, enrolmentToken)).toEqual({ status: 101 });
  });

  it('an agent with a wrong token reports the refusal and never comes online', async () => {
    const { agent: rec, enrolmentToken } = await admin.createSite('Wrong token parish');
    const agentDir = tempDir('agent');
    const { agent, logs } = await testAgent(hub.url, enrolmentToken.slice(0, -4) + 'AAAA', agentDir.path);
    try {
      await waitFor('refusal', () => agent.link.state === 'refused');
      expect(agent.link.refusal).toBe('enrolment token is not known to this hub');
      expect(logs.some((l) => l.msg === 'hub refused this agent' && l.reason === 'enrolment token is not known to this hub')).toBe(true);
      expect((await admin.agent(rec.id))?.online).toBe(false);
      // The token must never appear in the agent's logs.
      expect(JSON.stringify(logs)).not.toContain(enrolmentToken.split('.')[2]!.slice(0, 20));
    } finally {
      await agent.stop();
      agentDir.remove();
    }
  });

  it('revoking a token disconnects the agent at once and refuses it from then on', async () => {
    const { agent: rec, enrolmentToken } = await admin.createSite('Revoked parish');
    const agentDir = tempDir('agent');
    const { agent } = await testAgent(hub.url, enrolmentToken, agentDir.path);
    try {
      await waitFor('agent online', async () => (await admin.agent(rec.id))?.online);
      const revoked = await admin.json<{ revoked: boolean }>('POST', `/api/agents/${rec.id}/revoke`);
      expect(revoked.revoked).toBe(true);
      await waitFor('agent refused', () => agent.link.state === 'refused');
      expect(agent.link.refusal).toBe('enrolment token has been revoked');
      expect(await dial(hub.url, enrolmentToken)).toEqual({ status: 401, error: 'enrolment token has been revoked' });
      await waitFor('agent offline in the hub', async () => (await admin.agent(rec.id))?.online === false);
    } finally {
      await agent.stop();
      agentDir.remove();
    }
  });
});
