import type { Alert, AlertChanged } from '@sargs/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertEngine } from './alert-engine';
import type { Channel } from './channels';
import type { DeliveryRecord } from './delivery-store';
import type { AlertSettingsInput } from './settings';
import { FakeClock, alertFixture, silentLog } from '../../../test/support/alert-fixture';

const SECOND = 1000;

async function setup(settings: AlertSettingsInput = {}) {
  const fx = await alertFixture();
  const sent: DeliveryRecord[] = [];
  const channel: Channel = { name: 'test', send: async (d) => { sent.push(d); return { status: 200 }; } };
  const ref: { engine?: AlertEngine } = {};
  const clock = new FakeClock(async () => { await ref.engine?.idle(); await ref.engine?.deliveries.settled(); });
  const engine = ref.engine = new AlertEngine({ fleet: fx.fleet, store: fx.store, log: silentLog, clock, channels: () => [channel] }, settings);
  const pushed: AlertChanged[] = [];
  engine.on('alert', (c) => pushed.push(c));
  await engine.start();
  /** Every distinct alert the console has been told about, in the order first seen. */
  const raised = () => [...new Map(pushed.map((p) => [p.alert.id, p.alert])).values()];
  const latest = (id: string) => [...pushed].reverse().find((p) => p.alert.id === id)?.alert;
  return { ...fx, engine, clock, pushed, sent, raised, latest, async done() { await engine.stop(); await fx.close(); } };
}

let ctx: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => { await ctx?.done(); ctx = undefined; });

describe('alert engine', () => {
  it('waits out the hold-down: a short outage raises nothing', async () => {
    const c = (ctx = await setup());
    await c.camera('c1', 'online');
    await c.camera('c1', 'offline', 'no-video');
    await c.clock.advance(9 * SECOND);
    await c.camera('c1', 'online');
    await c.clock.advance(60 * SECOND);
    expect(c.raised()).toEqual([]);
    expect(c.sent).toEqual([]);
  });

  it('an outage past the hold-down raises one alert, repeats count up, recovery resolves it and says so', async () => {
    const c = (ctx = await setup());
    await c.camera('c1', 'online');
    await c.camera('c1', 'offline', 'no-video');
    await c.clock.advance(10 * SECOND);
    expect(c.raised()).toHaveLength(1);
    const off = c.raised()[0]!;
    expect(off).toMatchObject({ kind: 'camera.offline', severity: 'critical', key: 'camera-offline:c1', cameraId: 'c1', siteId: 'site1', agentId: 'ag1', occurrences: 1 });
    expect(off.title).toContain('Cam c1');
    expect(c.pushed.at(-1)!.unacknowledged).toBe(1);

    // The reason changes while it is down: the same alert, not a new one.
    await c.camera('c1', 'offline', 'unreachable');
    await c.clock.advance(30 * SECOND);
    expect(c.raised()).toHaveLength(1);

    await c.camera('c1', 'online');
    await c.clock.advance(0);
    const [, back] = c.raised();
    expect(back).toMatchObject({ kind: 'camera.online', severity: 'info', cameraId: 'c1' });
    expect(back!.resolvedAt).toBe(back!.raisedAt);
    expect(c.latest(off.id)!.resolvedAt).toBeDefined();
    expect(c.sent.map((d) => d.alert.kind)).toEqual(['camera.offline', 'camera.online']);
    expect(await c.engine.alerts.list({ open: true, limit: 10 })).toEqual([]);
    // The recovery needs nobody's acknowledgement; the outage still does.
    expect(c.engine.unacknowledged).toBe(1);
  });

  it('a second outage after recovery is a new alert', async () => {
    const c = (ctx = await setup());
    await c.camera('c1', 'online');
    for (let i = 0; i < 2; i++) {
      await c.camera('c1', 'offline', 'no-video');
      await c.clock.advance(11 * SECOND);
      await c.camera('c1', 'online');
      await c.clock.advance(5 * 60 * SECOND);
    }
    expect(c.raised().map((a) => a.kind)).toEqual(['camera.offline', 'camera.online', 'camera.offline', 'camera.online']);
  });

  it('"recorder restarting" while starting neither raises nor recovers', async () => {
    const c = (ctx = await setup());
    await c.camera('c1', 'degraded', 'recorder-restarting');
    await c.clock.advance(30 * SECOND);
    await c.camera('c1', 'online');
    await c.clock.advance(30 * SECOND);
    expect(c.raised()).toEqual([]);
  });

  it('a camera flapping 10 times in a minute gives a bounded number of alerts, and one recovery once stable', async () => {
    const c = (ctx = await setup());
    await c.camera('c1', 'online');
    for (let i = 0; i < 10; i++) {
      await c.camera('c1', 'offline', 'stalled');
      await c.clock.advance(3 * SECOND);
      await c.camera('c1', 'online');
      await c.clock.advance(3 * SECOND);
    }
    const during = c.raised();
    expect(during.length).toBeLessThanOrEqual(2);
    expect(during).toHaveLength(1);
    expect(during[0]!.kind).toBe('camera.offline');
    expect(c.latest(during[0]!.id)!.resolvedAt).toBeUndefined();
    expect(c.latest(during[0]!.id)!.title).toMatch(/flapping/);
    expect(c.latest(during[0]!.id)!.occurrences).toBeGreaterThan(1);

    await c.clock.advance(4 * 60 * SECOND);
    expect(c.raised()).toHaveLength(1);
    await c.clock.advance(60 * SECOND);
    expect(c.raised().map((a) => a.kind)).toEqual(['camera.offline', 'camera.online']);
    expect(c.sent).toHaveLength(2);
  });

  it('flapping with slow cycles (each past the hold-down) is still bounded', async () => {
    const c = (ctx = await setup({ holdDownMs: 1 * SECOND }));
    await c.camera('c1', 'online');
    for (let i = 0; i < 10; i++) {
      await c.camera('c1', 'offline', 'stalled');
      await c.clock.advance(2 * SECOND);
      await c.camera('c1', 'online');
      await c.clock.advance(4 * SECOND);
    }
    await c.clock.advance(6 * 60 * SECOND);
    // Two honest outages with their recoveries, then one flapping alert and its recovery.
    expect(c.raised().length).toBeLessThanOrEqual(6);
    expect(c.raised().at(-1)!.kind).toBe('camera.online');
  });

  it('an agent offline for agentLostAfterMs is lost; back resolves it with a recovery', async () => {
    const c = (ctx = await setup({ agentLostAfterMs: 2 * SECOND }));
    c.setOnline(false);
    await c.clock.advance(1900);
    c.setOnline(true);
    await c.clock.advance(10 * SECOND);
    expect(c.raised()).toEqual([]);

    c.setOnline(false);
    await c.clock.advance(2 * SECOND);
    expect(c.raised()).toHaveLength(1);
    expect(c.raised()[0]).toMatchObject({ kind: 'agent.lost', severity: 'critical', agentId: 'ag1', key: 'agent-lost:ag1' });
    expect(c.raised()[0]!.title).toContain('Gatehouse');
    await c.clock.advance(60 * SECOND);
    expect(c.raised()).toHaveLength(1);

    c.setOnline(true);
    await c.clock.advance(0);
    expect(c.raised().map((a) => a.kind)).toEqual(['agent.lost', 'agent.back']);
  });

  it('disk low is one warning per agent until a camera is healthy again', async () => {
    const c = (ctx = await setup());
    await c.camera('c1', 'degraded', 'disk-low');
    await c.camera('c2', 'degraded', 'disk-low');
    await c.clock.advance(0);
    expect(c.raised()).toHaveLength(1);
    const disk = c.raised()[0]!;
    expect(disk).toMatchObject({ kind: 'disk.low', severity: 'warning', key: 'disk-low:ag1', occurrences: 1 });
    await c.camera('c1', 'online');
    await c.clock.advance(0);
    expect(c.latest(disk.id)!.resolvedAt).toBeDefined();
  });

  it('a recorder restarting for over 2 minutes, or 3 times within the window, is failing', async () => {
    const c = (ctx = await setup());
    await c.camera('c1', 'degraded', 'recorder-restarting');
    await c.clock.advance(119 * SECOND);
    expect(c.raised()).toEqual([]);
    await c.clock.advance(2 * SECOND);
    expect(c.raised().map((a) => a.kind)).toEqual(['recorder.failing']);
    await c.camera('c1', 'online');
    await c.clock.advance(0);
    expect(c.latest(c.raised()[0]!.id)!.resolvedAt).toBeDefined();

    await c.camera('c2', 'online');
    for (let i = 0; i < 3; i++) {
      await c.camera('c2', 'degraded', 'recorder-restarting');
      await c.clock.advance(5 * SECOND);
      await c.camera('c2', 'online');
    }
    await c.clock.advance(0);
    expect(c.raised().filter((a) => a.cameraId === 'c2').map((a) => a.kind)).toEqual(['recorder.failing']);
  });

  it('acknowledges once, with who, when and why', async () => {
    const c = (ctx = await setup());
    await c.camera('c1', 'online');
    await c.camera('c1', 'offline', 'no-video');
    await c.clock.advance(10 * SECOND);
    const a = c.raised()[0]!;
    const acked = (await c.engine.acknowledge(a.id, 'ilze', 'technician sent')) as Alert;
    expect(acked.acknowledged).toEqual({ by: 'ilze', at: new Date(c.clock.now()).toISOString(), comment: 'technician sent' });
    expect(c.pushed.at(-1)).toMatchObject({ alert: { id: a.id, acknowledged: { by: 'ilze' } }, unacknowledged: 0 });
    expect(await c.engine.acknowledge(a.id, 'janis', 'again')).toBe('already');
    expect(await c.engine.acknowledge('al_nothing', 'janis', 'x')).toBe('missing');
  });

  it('open alerts and the unacknowledged count survive a restart; recovery after it still resolves', async () => {
    const c = await setup();
    await c.camera('c1', 'online');
    await c.camera('c1', 'offline', 'no-video');
    await c.clock.advance(10 * SECOND);
    await c.engine.stop();
    await c.store.close();

    const fx = await alertFixture(c.dir);
    const clock = new FakeClock();
    await clock.advance(60 * SECOND);
    const engine = new AlertEngine({ fleet: fx.fleet, store: fx.store, log: silentLog, clock, channels: () => [] });
    await engine.start();
    try {
      expect(engine.unacknowledged).toBe(1);
      expect((await engine.alerts.list({ open: true, limit: 10 })).map((a) => a.kind)).toEqual(['camera.offline']);
      await fx.camera('c1', 'online');
      await engine.idle();
      expect(await engine.alerts.list({ open: true, limit: 10 })).toEqual([]);
      expect((await engine.alerts.list({ limit: 10 })).map((a) => a.kind)).toEqual(['camera.online', 'camera.offline']);
    } finally {
      await engine.stop();
      await fx.close();
    }
  });
});
