import type { AlertChanged, VehicleTelemetry, VehicleView } from '@sargs/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertEngine } from '../alerts/alert-engine';
import type { DeliveryRecord } from '../alerts/delivery-store';
import { FakeClock, alertFixture, silentLog } from '../../../test/support/alert-fixture';
import { decimateTrack } from './decimate';
import { VehicleAlerts } from './vehicle-alerts';
import { VehicleRegistry } from './vehicle-registry';

const telemetry = (over: Partial<VehicleTelemetry> = {}): VehicleTelemetry => ({
  vehicleKey: 'sys1', systemId: 1, autopilot: 'ardupilotmega', vehicleType: 'quadrotor', linkUp: true,
  lastHeartbeatAt: '2026-03-01T08:00:00.000Z', armed: true, mode: 'AUTO', lat: 56.9496, lon: 24.1052, altRelM: 42.5,
  updatedAt: '2026-03-01T08:00:00.000Z', ...over,
});
const link = (state: 'lost' | 'back') => ({ vehicleKey: 'sys1', systemId: 1, autopilot: 'ardupilotmega', vehicleType: 'quadrotor', state, lastHeartbeatAt: '2026-03-01T08:00:00.000Z' });

async function setup() {
  const fx = await alertFixture();
  const sent: DeliveryRecord[] = [];
  const ref: { engine?: AlertEngine } = {};
  const clock = new FakeClock(async () => { await ref.engine?.idle(); });
  const engine = ref.engine = new AlertEngine({
    fleet: fx.fleet, store: fx.store, log: silentLog, clock,
    channels: () => [{ name: 'test', send: async (d) => { sent.push(d); return { status: 200 }; } }],
  });
  const pushed: AlertChanged[] = [];
  engine.on('alert', (c) => pushed.push(c));
  await engine.start();
  const vehicles = new VehicleRegistry(fx.fleet);
  vehicles.start();
  const views: VehicleView[] = [];
  vehicles.on('vehicle', (v) => views.push(v));
  const va = new VehicleAlerts({ alerts: engine, vehicles, store: fx.store, log: silentLog });
  await va.start();
  const alerts = () => [...new Map(pushed.map((p) => [p.alert.id, p.alert])).values()];
  return {
    ...fx, engine, clock, vehicles, views, va, alerts, sent, pushed,
    async done() { va.stop(); vehicles.stop(); await engine.stop(); await fx.close(); },
  };
}

let ctx: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => { await ctx?.done(); ctx = undefined; });

describe('vehicles and their alerts', () => {
  it('a lost link raises a critical alert at once with the last position; link back resolves it and says so', async () => {
    const c = (ctx = await setup());
    c.vehicles.applyList(c.agent, { vehicles: [telemetry()] });
    await c.va.linkEvent(c.agent, link('lost'));
    const [lost] = c.alerts();
    expect(lost).toMatchObject({ kind: 'vehicle.link-lost', severity: 'critical', key: 'vehicle-link:ag1:sys1', siteId: 'site1', agentId: 'ag1' });
    expect(lost!.title).toBe('Link to quadrotor sys1 lost at Parish');
    expect(lost!.detail).toContain('Last position 56.949600, 24.105200, 42.5 m above home');
    expect(lost!.resolvedAt).toBeUndefined();

    await c.clock.advance(12_000);
    await c.va.linkEvent(c.agent, link('back'));
    const all = c.alerts();
    expect(all.map((a) => a.kind)).toEqual(['vehicle.link-lost', 'vehicle.link-back']);
    expect(c.pushed.filter((p) => p.alert.id === lost!.id).at(-1)!.alert.resolvedAt).toBeDefined();
    expect(all[1]).toMatchObject({ severity: 'info', detail: expect.stringContaining('after 12 s') });
    await c.clock.advance(0);
    await c.engine.deliveries.settled();
    expect(c.sent.map((d) => d.alert.kind)).toEqual(['vehicle.link-lost', 'vehicle.link-back']);
  });

  it('a vehicle last seen disarmed (powered off after landing) is a warning, and a second "lost" does not raise again', async () => {
    const c = (ctx = await setup());
    c.vehicles.applyList(c.agent, { vehicles: [telemetry({ armed: false })] });
    await c.va.linkEvent(c.agent, link('lost'));
    await c.va.linkEvent(c.agent, link('lost'));
    expect(c.alerts()).toHaveLength(1);
    expect(c.alerts()[0]).toMatchObject({ severity: 'warning', occurrences: 1 });
  });

  it('"back" with no open alert raises nothing; bad event data is ignored', async () => {
    const c = (ctx = await setup());
    await c.va.linkEvent(c.agent, link('back'));
    await c.va.linkEvent(c.agent, { state: 'lost' });
    await c.va.conflictEvent(c.agent, { systemId: 'one' });
    expect(c.alerts()).toEqual([]);
  });

  it('two vehicles on one system id raise a warning that resolves when the agent no longer flags the id', async () => {
    const c = (ctx = await setup());
    await c.va.conflictEvent(c.agent, { systemId: 1, detail: 'Heartbeats from quadrotor and fixed-wing on system 1.' });
    expect(c.alerts()[0]).toMatchObject({ kind: 'vehicle.conflict', severity: 'warning', key: 'vehicle-conflict:ag1:1' });
    c.vehicles.applyList(c.agent, { vehicles: [telemetry({ conflict: true }), telemetry({ vehicleKey: 'sys1-2', vehicleType: 'fixed-wing', conflict: true })] });
    c.vehicles.applyList(c.agent, { vehicles: [telemetry({ vehicleKey: 'sys2', systemId: 2 })] });
    await c.engine.idle();
    expect(c.alerts()[0]!.resolvedAt).toBeUndefined();
    c.vehicles.applyList(c.agent, { vehicles: [telemetry()] });
    await c.engine.idle();
    expect(c.pushed.at(-1)!.alert).toMatchObject({ key: 'vehicle-conflict:ag1:1', resolvedAt: expect.any(String) });
  });

  it('the registry keeps the newest list, marks vehicles stale while their agent is offline and drops vanished ones', async () => {
    const c = (ctx = await setup());
    c.vehicles.applyList(c.agent, { vehicles: [telemetry(), telemetry({ vehicleKey: 'sys2', systemId: 2 })] });
    c.vehicles.applyList(c.agent, { vehicles: [telemetry({ altRelM: 50, updatedAt: '2026-03-01T08:00:00.500Z' }), telemetry({ vehicleKey: 'sys2', systemId: 2 })] });
    expect(c.views.map((v) => `${v.telemetry.vehicleKey}:${v.telemetry.altRelM}:${v.current}`)).toEqual(['sys1:42.5:true', 'sys2:42.5:true', 'sys1:50:true']);
    c.setOnline(false);
    expect(c.vehicles.list().map((v) => v.current)).toEqual([false, false]);
    expect(c.views.slice(-2).map((v) => v.current)).toEqual([false, false]);
    c.vehicles.applyList(c.agent, { vehicles: [telemetry({ altRelM: 51 })] });
    expect(c.vehicles.list()).toMatchObject([{ current: true, telemetry: { vehicleKey: 'sys1', altRelM: 51 } }]);
    expect(c.views.at(-1)).toMatchObject({ current: false, telemetry: { vehicleKey: 'sys2' } });
  });
});

describe('track decimation for the map and the altitude chart', () => {
  it('keeps at most the limit, the first and last points and the highest one', () => {
    const track = Array.from({ length: 10_001 }, (_, i) => ({ i, altRel: i === 4321 ? 120.5 : Math.sin(i / 500) * 50 }));
    const thin = decimateTrack(track, 3000);
    expect(thin.length).toBeLessThanOrEqual(3000);
    expect(thin.length).toBeGreaterThan(2900);
    expect(thin[0]!.i).toBe(0);
    expect(thin.at(-1)!.i).toBe(10_000);
    expect(Math.max(...thin.map((p) => p.altRel))).toBe(120.5);
    expect(thin.map((p) => p.i)).toEqual([...thin.map((p) => p.i)].sort((a, b) => a - b));
    expect(decimateTrack(track.slice(0, 10), 3000)).toHaveLength(10);
  });
});
