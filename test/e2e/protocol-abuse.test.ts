import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '@sargs/hub';
import { MAX_MESSAGE_BYTES } from '@sargs/shared';
import WebSocket, { WebSocketServer } from 'ws';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

const valid = (type: string, body: unknown, extra: object = {}) => JSON.stringify({ v: 1, type, ts: new Date().toISOString(), body, ...extra });

/** Collects what a socket receives, so a test can wait for the n-th message. */
function inbox(ws: WebSocket): { messages: { type: string; body: { reason?: string } }[] } {
  const box = { messages: [] as { type: string; body: { reason?: string } }[] };
  ws.on('message', (d) => box.messages.push(JSON.parse(d.toString()) as { type: string; body: { reason?: string } }));
  return box;
}

const BAD_MESSAGES: [string, string, RegExp][] = [
  ['not JSON', '{"v":1,', /not valid JSON/],
  ['no envelope', '[1,2,3]', /bad envelope/],
  ['wrong version', valid('hello', {}).replace('"v":1', '"v":9'), /bad envelope: \/v/],
  ['unknown type', valid('format-disk', {}), /unknown message type "format-disk"/],
  ['bad body', valid('status', { uptimeS: -1, outboxPending: 'x', cameras: 0, drones: 0 }), /bad body for "status"/],
];
/** The ones that are wrong whichever side receives them. */
const COMMON = BAD_MESSAGES.slice(0, 4);

describe('hostile WebSocket messages', () => {
  const dir = tempDir('abuse');
  let hub: RunningHub;
  let admin: HubClient;
  let token: string;
  let agentId: string;

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(dir.path));
    const site = await admin.createSite('Abuse parish');
    token = site.enrolmentToken;
    agentId = site.agent.id;
  });
  afterAll(async () => { await hub?.close(); dir.remove(); });

  it('the hub rejects malformed, unknown and oversized agent messages with a reason and keeps serving', async () => {
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/agent/ws`, { headers: { authorization: `Bearer ${token}` } });
    const box = inbox(ws);
    await once(ws, 'open');
    ws.send(valid('hello', { agentName: 'raw', version: 'x', hostname: 'h', lastSeq: 0 }));
    await waitFor('welcome', () => box.messages.find((m) => m.type === 'welcome'));
    for (const [, text] of BAD_MESSAGES) ws.send(text);
    ws.send(valid('event', { kind: 'x', at: 'now', data: {} })); // an event without a sequence number
    await waitFor('an answer to every bad message', () => box.messages.filter((m) => m.type === 'error').length >= BAD_MESSAGES.length + 1);
    const reasons = box.messages.filter((m) => m.type === 'error').map((m) => m.body.reason ?? '');
    BAD_MESSAGES.forEach(([what, , pattern], i) => expect(reasons[i], what).toMatch(pattern));
    expect(reasons[BAD_MESSAGES.length]).toMatch(/event without seq/);
    expect((await admin.agent(agentId))?.online).toBe(true); // still connected after all that

    const closed = once(ws, 'close');
    ws.send('x'.repeat(MAX_MESSAGE_BYTES + 1));
    const [code] = (await closed) as [number];
    expect(code).toBe(1009); // message too big: the socket goes, the hub stays
    expect((await admin.request('GET', '/api/health')).status).toBe(200);
    await waitFor('agent offline after its socket closed', async () => (await admin.agent(agentId))?.online === false);
  });

  it('the hub rejects malformed console messages and keeps the console connected', async () => {
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/console/ws`, { headers: { cookie: admin.cookie! } });
    const box = inbox(ws);
    await once(ws, 'open');
    await waitFor('snapshot', () => box.messages.find((m) => m.type === 'fleet.snapshot'));
    for (const [, text] of BAD_MESSAGES) ws.send(text);
    await waitFor('errors', () => box.messages.filter((m) => m.type === 'error').length >= BAD_MESSAGES.length);
    ws.send(valid('ping', {}));
    await waitFor('pong after the garbage', () => box.messages.find((m) => m.type === 'pong'));
    const closed = once(ws, 'close');
    ws.send('y'.repeat(MAX_MESSAGE_BYTES + 1));
    expect(((await closed) as [number])[0]).toBe(1009);
    expect((await admin.request('GET', '/api/fleet')).status).toBe(200);
  });

  it('the agent rejects malformed messages from a hub, answers with the reason and keeps its link', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/agent/ws' });
    await once(wss, 'listening');
    const port = (wss.address() as { port: number }).port;
    const fromAgent: { type: string; body: { reason?: string } }[] = [];
    let connections = 0;
    wss.on('connection', (ws) => {
      connections++;
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString()) as { type: string; body: { reason?: string } };
        fromAgent.push(m);
        if (m.type !== 'hello') return;
        if (connections === 1) {
          for (const [, text] of COMMON) ws.send(text);
          ws.send(valid('ack', { seq: 'lots' }));
          ws.send('z'.repeat(MAX_MESSAGE_BYTES + 1)); // the agent must drop this socket and dial again
        } else {
          ws.send(valid('welcome', { agentId: 'a', siteId: 's', siteName: 'Fake', ackedSeq: 0 }));
        }
      });
    });
    const agentDir = tempDir('agent');
    const { agent, logs } = await testAgent(`http://127.0.0.1:${port}`, 'sargs1.fake.token', agentDir.path);
    try {
      await waitFor('agent connected after the bad first connection', () => agent.link.state === 'connected');
      expect(connections).toBe(2);
      const reasons = fromAgent.filter((m) => m.type === 'error').map((m) => m.body.reason ?? '');
      COMMON.forEach(([what, , pattern], i) => expect(reasons[i], what).toMatch(pattern));
      expect(reasons[COMMON.length]).toMatch(/bad body for "ack"/);
      expect(logs.filter((l) => l.msg === 'rejected message from hub')).toHaveLength(COMMON.length + 1);
    } finally {
      await agent.stop();
      agentDir.remove();
      wss.close();
    }
  });
});
