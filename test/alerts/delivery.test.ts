import { afterEach, describe, expect, it } from 'vitest';
import { AlertEngine } from '@sargs/hub/alerts/alert-engine';
import { webhookChannelName } from '@sargs/hub/alerts/channels';
import type { NewAlert } from '@sargs/hub/alerts/alert-store';
import type { AlertSettingsInput } from '@sargs/hub/alerts/settings';
import { alertFixture, silentLog } from '../support/alert-fixture';
import type { AlertDelivery } from '@sargs/shared';
import { smtpReceiver, webhookReceiver } from '../support/alert-receivers';
import { freePort } from '../support/ports';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

const SECRET = 'webhook secret for tests';
const FAST_RETRY = { backoffMs: [100, 200, 400], maxAgeMs: 60_000 };

const alert = (n: number): NewAlert => ({
  key: `camera-offline:cam-${n}`, kind: 'camera.offline', severity: 'critical', siteId: 'site1', agentId: 'ag1', cameraId: `cam-${n}`,
  title: `Camera "Gate ${n}" is offline`, detail: 'No video (no-video) for more than 10 s.',
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function engineOn(dir: string, settings: AlertSettingsInput) {
  const fx = await alertFixture(dir);
  const engine = new AlertEngine({ fleet: fx.fleet, store: fx.store, log: silentLog }, settings);
  await engine.start();
  return { fx, engine, async stop() { await engine.stop(); await fx.close(false); } };
}

const deliveries = async (engine: AlertEngine) => (await engine.deliveries.log(50));

describe('alert delivery to outside channels', () => {
  it('a webhook that is down (503) gets the alert once it answers, signed, with every attempt logged', async () => {
    const dir = tempDir('alert-hook'); cleanup.push(dir.remove);
    const hook = await webhookReceiver(SECRET); cleanup.push(hook.close);
    hook.state.status = 503;
    const h = await engineOn(dir.path, { webhooks: [{ url: hook.url, secret: SECRET }], retry: FAST_RETRY }); cleanup.push(h.stop);

    const a = await h.engine.raise(alert(1));
    await waitFor('two refused attempts', () => hook.hits.length >= 2, 5000);
    hook.state.status = 200;
    const got = await waitFor('delivered', () => hook.delivered()[0], 5000);

    expect(got.signatureValid).toBe(true);
    expect(got.body.alert).toMatchObject({ id: a.id, kind: 'camera.offline', title: 'Camera "Gate 1" is offline' });
    expect(got.body.delivery).toBe(got.delivery);
    // Every attempt carried the same delivery id, so the receiver can drop repeats.
    expect(new Set(hook.hits.map((x) => x.delivery))).toEqual(new Set([got.delivery]));
    const [log] = await waitFor('log says delivered', async () => { const l = (await deliveries(h.engine)).filter((d) => d.state === 'delivered'); return l.length > 0 && l; }, 2000);
    expect(log).toMatchObject({ id: got.delivery, alertId: a.id, channel: webhookChannelName(hook.url), state: 'delivered' });
    expect(log!.attempts.map((x) => x.status)).toEqual([...hook.hits.slice(0, -1).map(() => 503), 200]);
    expect(log!.attempts[0]!.error).toBe('HTTP 503');

    // A repeat of the open alert is counted, not sent again.
    await h.engine.raise(alert(1));
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.delivered()).toHaveLength(1);
  });

  it('a delivery queued while the webhook is unreachable survives a hub restart and arrives when it returns', async () => {
    const dir = tempDir('alert-durable'); cleanup.push(dir.remove);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hooks/sargs`;
    const settings = { webhooks: [{ url, secret: SECRET }], retry: FAST_RETRY };

    const first = await engineOn(dir.path, settings);
    const a = await first.engine.raise(alert(2));
    const b = await first.engine.raise(alert(3));
    const failed = await waitFor('refused attempts', async () => {
      const log = await deliveries(first.engine);
      return log.length === 2 && log.some((d) => d.attempts.length >= 2) && log;
    }, 5000);
    expect(failed.every((d: AlertDelivery) => d.state === 'pending')).toBe(true);
    expect(failed.flatMap((d) => d.attempts).every((x) => /ECONNREFUSED/.test(x.error ?? ''))).toBe(true);
    await first.stop();

    const hook = await webhookReceiver(SECRET, port); cleanup.push(hook.close);
    const second = await engineOn(dir.path, settings); cleanup.push(second.stop);
    await waitFor('both delivered after the restart', () => hook.delivered().length === 2, 5000);
    expect(hook.delivered().map((x) => x.body.alert.id).sort()).toEqual([a.id, b.id].sort());
    expect(hook.hits.every((x) => x.signatureValid)).toBe(true);
    const log = await waitFor('log', async () => { const l = await deliveries(second.engine); return l.every((d) => d.state === 'delivered') && l; }, 2000);
    expect(log.every((d) => d.attempts.at(-1)!.status === 200)).toBe(true);
    expect(log.some((d) => d.attempts.length >= 3)).toBe(true);
  });

  it('sends an e-mail over SMTP, retrying while the mail server is down', async () => {
    const dir = tempDir('alert-mail'); cleanup.push(dir.remove);
    const smtpPort = await freePort();
    const email = { host: '127.0.0.1', port: smtpPort, secure: false, from: 'sargs@example.test', to: ['it@example.test', 'guard@example.test'] };
    const h = await engineOn(dir.path, { email, retry: FAST_RETRY }); cleanup.push(h.stop);

    const a = await h.engine.raise(alert(4));
    await waitFor('a refused attempt', async () => (await deliveries(h.engine))[0]?.attempts.length, 5000);
    const smtp = await smtpReceiver(smtpPort); cleanup.push(smtp.close);
    const mail = await waitFor('mail received', () => smtp.mails[0], 5000);
    expect(mail.subject).toBe('[Sargs] CRITICAL: Camera "Gate 4" is offline');
    expect(mail.to).toEqual(email.to);
    expect(mail.from).toBe(email.from);
    expect(mail.raw).toContain(a.id);
    const [log] = await waitFor('log', async () => { const l = await deliveries(h.engine); return l[0]?.state === 'delivered' && l; }, 2000);
    expect(log).toMatchObject({ channel: 'email', alertId: a.id });
    expect(log!.attempts.at(-1)!.status).toBe(250);
  });
});
