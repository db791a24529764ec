import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import { startHub, type RunningHub } from '@sargs/hub';
import { webhookChannelName } from '@sargs/hub/alerts/channels';
import { HubToConsole, createDecoder, type Alert, type AlertChanged, type AlertDelivery, type AlertList } from '@sargs/shared';
import WebSocket from 'ws';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { smtpReceiver, webhookReceiver } from '../support/alert-receivers';
import { HubClient } from '../support/hub-client';
import { ADMIN_PASSWORD, testAgent } from '../support/in-process';
import { capturedLogger } from '../support/log-capture';
import { consoleDir, tempDir } from '../support/paths';
import { waitFor } from '../support/wait';
import { startCliProcess } from '../support/cli-process';

const SECRET = 'the site webhook secret';
const decode = createDecoder(HubToConsole);

/** The console's view of alerts: every alert.changed pushed over its WebSocket, decoded with the shared schema. */
async function watchAlerts(hub: RunningHub, admin: HubClient) {
  const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/console/ws`, { headers: { cookie: admin.cookie! } });
  const changes: AlertChanged[] = [];
  ws.on('message', (d) => {
    const r = decode(d as Buffer);
    if (!r.ok) throw new Error(`console got an invalid message: ${r.reason}`);
    if (r.message.type === 'alert.changed') changes.push(r.message.body);
  });
  await once(ws, 'open');
  const alerts = () => [...new Map(changes.map((c) => [c.alert.id, c.alert])).values()];
  const find = (pred: (a: Alert) => boolean) => alerts().find(pred);
  return { ws, changes, alerts, find };
}

describe('alerts: console, webhook and e-mail from a real site', () => {
  const hubDir = tempDir('alerts-hub');
  const agentDir = tempDir('alerts-agent');
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  let smtp: Awaited<ReturnType<typeof smtpReceiver>>;
  let hub: RunningHub;
  let admin: HubClient;
  let agent: Agent | undefined;
  let agentId: string;
  let cam: SimulatedCamera;
  let cameraId: string;
  let console_: Awaited<ReturnType<typeof watchAlerts>>;

  beforeAll(async () => {
    hook = await webhookReceiver(SECRET);
    smtp = await smtpReceiver();
    let oneTime = '';
    hub = await startHub({
      dataDir: hubDir.path, port: 0, consoleDir, logger: capturedLogger('hub').logger, onFirstAdmin: (p) => { oneTime = p; },
      alerts: {
        holdDownMs: 1500, agentLostAfterMs: 2000, flap: { changes: 2, windowMs: 10_000 },
        webhooks: [{ url: hook.url, secret: SECRET }],
        email: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'sargs@parish.test', to: ['it@parish.test'] },
        retry: { backoffMs: [200, 500], maxAgeMs: 60_000 },
      },
    });
    admin = new HubClient(hub.url);
    await admin.signInFirstTime('admin', oneTime, ADMIN_PASSWORD);
    const site = await admin.createSite('Alert parish');
    agentId = site.agent.id;
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, agentDir.path, { recordings: { segmentSeconds: 4 }, health: { probeIntervalS: 1 } }));
    await waitFor('agent online', async () => (await admin.agent(agentId))?.online);
    cam = await SimulatedCamera.start({ name: 'Gate', username: 'admin', password: 'gate-secret' });
    console_ = await watchAlerts(hub, admin);
    const r = await admin.request('POST', `/api/sites/${site.site.id}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: 'gate-secret', name: 'Main gate' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    cameraId = (r.body as { id: string }).id;
    await waitFor('camera online', async () => (await admin.json<{ info: { id: string }; health: { state: string } }[]>('GET', '/api/cameras')).find((c) => c.info.id === cameraId)?.health.state === 'online', 20_000);
  });
  afterAll(async () => {
    console_?.ws.close();
    await agent?.stop();
    await cam?.stop();
    await hub?.close();
    await hook?.close();
    await smtp?.close();
    hubDir.remove();
    agentDir.remove();
  });

  it('a stopped stream: offline alert in the console, a signed webhook POST and an e-mail; restored: a recovery; acknowledged with a comment', async () => {
    await cam.stopStream();
    const offline = await waitFor('offline alert in the console', () => console_.find((a) => a.kind === 'camera.offline' && a.cameraId === cameraId), 15_000);
    expect(offline).toMatchObject({ severity: 'critical', key: `camera-offline:${cameraId}`, agentId, occurrences: 1 });
    expect(offline.title).toBe('Camera "Main gate" is offline');
    expect(console_.changes.find((c) => c.alert.id === offline.id)!.unacknowledged).toBeGreaterThanOrEqual(1);

    const posted = await waitFor('webhook POST', () => hook.delivered().find((h) => h.body.alert.id === offline.id), 10_000);
    expect(posted.signatureValid).toBe(true);
    const mail = await waitFor('e-mail', () => smtp.mails.find((m) => m.subject.includes(offline.title)), 10_000);
    expect(mail.to).toEqual(['it@parish.test']);

    await cam.startStream();
    const back = await waitFor('recovery alert', () => console_.find((a) => a.kind === 'camera.online' && a.cameraId === cameraId), 30_000);
    expect(back.title).toBe('Camera "Main gate" is back online');
    await waitFor('recovery on the webhook', () => hook.delivered().some((h) => h.body.alert.id === back.id), 10_000);
    await waitFor('recovery by e-mail', () => smtp.mails.some((m) => m.subject.includes(back.title)), 10_000);

    const list = await admin.json<AlertList>('GET', '/api/alerts?open=false&limit=10');
    expect(list.alerts.find((a) => a.id === offline.id)?.resolvedAt).toBeDefined();
    const before = list.unacknowledged;
    const acked = await admin.json<Alert>('POST', `/api/alerts/${offline.id}/ack`, { comment: 'cable reseated by the caretaker' });
    expect(acked.acknowledged).toMatchObject({ by: 'admin', comment: 'cable reseated by the caretaker' });
    await waitFor('ack pushed to the console', () => console_.changes.some((c) => c.alert.id === offline.id && c.alert.acknowledged && c.unacknowledged === before - 1));
    expect((await admin.request('POST', `/api/alerts/${offline.id}/ack`, { comment: 'again' })).status).toBe(409);
    expect((await admin.request('POST', `/api/alerts/${offline.id}/ack`, {})).status).toBe(400);

    const { deliveries } = await admin.json<{ deliveries: AlertDelivery[] }>('GET', '/api/alerts/deliveries?limit=50');
    const mine = deliveries.filter((d) => d.alertId === offline.id);
    expect(mine.map((d) => d.channel).sort()).toEqual(['email', webhookChannelName(hook.url)]);
    expect(mine.every((d) => d.state === 'delivered' && d.attempts.length >= 1)).toBe(true);
  });

  it('a camera flapping 10 times within a minute gives a bounded number of alerts', async () => {
    await waitFor('online before flapping', async () => (await admin.json<{ info: { id: string }; health: { state: string } }[]>('GET', '/api/cameras')).find((c) => c.info.id === cameraId)?.health.state === 'online', 20_000);
    const seenBefore = new Set(console_.alerts().map((a) => a.id));
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      await cam.stopStream();
      await new Promise((r) => setTimeout(r, 1000));
      await cam.startStream();
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(Date.now() - started).toBeLessThan(60_000);
    const during = () => console_.alerts().filter((a) => !seenBefore.has(a.id) && a.cameraId === cameraId);
    // Let whatever the last cycles caused arrive before counting.
    await new Promise((r) => setTimeout(r, 3000));
    expect(during().length, JSON.stringify(during().map((a) => [a.kind, a.title, a.occurrences]))).toBeLessThanOrEqual(4);
    expect(during().filter((a) => a.kind === 'camera.offline').length).toBeGreaterThanOrEqual(1);
  });

  it('an agent that stops is reported lost after agentLostAfterMs', async () => {
    const stoppedAt = Date.now();
    await agent!.stop();
    agent = undefined;
    const lost = await waitFor('agent.lost', () => console_.find((a) => a.kind === 'agent.lost' && a.agentId === agentId), 10_000);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(2000);
    expect(lost).toMatchObject({ severity: 'critical', title: 'Agent "Alert parish gateway" lost' });
    await waitFor('agent.lost on the webhook', () => hook.delivered().some((h) => h.body.alert.id === lost.id), 10_000);
    const open = await admin.json<AlertList>('GET', '/api/alerts?open=true');
    expect(open.alerts.map((a) => a.kind)).toContain('agent.lost');
  });

  it('an agent process killed with SIGKILL is reported lost after agentLostAfterMs', async () => {
    const site = await admin.createSite('Killed parish');
    const dir = tempDir('killed-agent');
    const config = join(dir.path, 'agent.yaml');
    writeFileSync(config, `hub:\n  url: ${hub.url.replace('http', 'ws')}\n  enrolmentToken: ${site.enrolmentToken}\ndataDir: ${dir.path}\nname: killed-gateway\n`);
    const proc = await startCliProcess(['agent', '--config', config], /"msg":"(agent started)"/);
    try {
      await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online, 20_000);
      const killedAt = Date.now();
      await proc.stop('SIGKILL');
      const lost = await waitFor('agent.lost', () => console_.find((a) => a.kind === 'agent.lost' && a.agentId === site.agent.id), 15_000);
      expect(Date.parse(lost.raisedAt) - killedAt).toBeGreaterThanOrEqual(2000 - 50);
      // Created, then waiting seconds for its gateway to start, it was never reported lost: it had never connected.
      expect(console_.alerts().filter((a) => a.kind === 'agent.lost' && a.agentId === site.agent.id)).toHaveLength(1);
      expect(lost.severity).toBe('critical');
    } finally {
      await proc.stop('SIGKILL');
      dir.remove();
    }
  });
});
