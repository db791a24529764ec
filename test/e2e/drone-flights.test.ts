import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import { startHub, type RunningHub } from '@sargs/hub';
import type { Alert, FlightView, VehicleView } from '@sargs/shared';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import { SimulatedDrone } from '@sargs/sim/drone/index';
import { referenceFlights } from '../support/flight-reference';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent, userWithRole } from '../support/in-process';
import { capturedLogger } from '../support/log-capture';
import { consoleDir, fixturesDir, tempDir } from '../support/paths';
import { freeUdpPort } from '../support/ports';
import { waitFor } from '../support/wait';

const MAVLINK = join(fixturesDir, 'mavlink');
const FIXTURES = ['arduplane-vtol-sitl.tlog', 'arducopter-auto-mission-2013-10-13-165851.tlog'];
/**
 * The agent stamps frames with the time it receives them, as it must with a live radio, so a
 * replay N times faster than recorded flies N times shorter. The expected duration is the
 * recorded one divided by N; heights do not depend on pace.
 */
const SPEED = 8;

/** Microseconds from the log's start to its first autopilot HEARTBEAT at or after `atLeastUs`. */
function heartbeatAfterUs(tlog: Buffer, atLeastUs: number): number {
  const { records } = parseTlog(tlog);
  const t0 = records[0]!.timeUs;
  for (const r of records) {
    const offset = Number(r.timeUs - t0);
    const msgid = r.frame[0] === 0xfd ? r.frame.readUIntLE(7, 3) : r.frame[5];
    const autopilot = r.frame[r.frame[0] === 0xfd ? 15 : 11];
    if (offset >= atLeastUs && msgid === 0 && autopilot !== 8) return offset;
  }
  throw new Error('no heartbeat after that time');
}

/**
 * A real site: hub, agent with a MAVLink UDP endpoint, and a simulated drone replaying the
 * real tlog fixtures into it. What the pilot sees in the logbook must match what the test
 * computes from the raw frames itself.
 */
describe('drones through a real agent to the hub', () => {
  const dir = tempDir('drone-flights-hub');
  const agentDir = tempDir('drone-flights-agent');
  let hub: RunningHub;
  let admin: HubClient;
  let pilot: HubClient;
  let agent: Agent;
  let siteId: string;
  let agentId: string;
  let udpPort: number;

  const flights = async () => (await pilot.json<{ flights: FlightView[] }>('GET', `/api/flights?site=${siteId}`)).flights;
  /** The plane: the copter replayed earlier uses the same system id, so the agent keeps them apart by type. */
  const plane = async () => (await pilot.json<VehicleView[]>('GET', '/api/vehicles')).find((v) => v.agentId === agentId && v.telemetry.vehicleType === 'fixed-wing');
  const openLinkAlert = async (vehicleKey: string) => {
    const { alerts } = await admin.json<{ alerts: Alert[] }>('GET', '/api/alerts?open=true');
    return alerts.find((a) => a.kind === 'vehicle.link-lost' && a.siteId === siteId && a.key.endsWith(`:${vehicleKey}`));
  };
  const replay = (tlog: Buffer, speed: number, untilUs?: number) => SimulatedDrone.start({
    tlog, speed, transport: { kind: 'udp', host: '127.0.0.1', port: udpPort }, ...(untilUs ? { untilUs } : {}),
  });

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(dir.path));
    pilot = await userWithRole(admin, 'pilot1', 'pilot');
    const created = await admin.createSite('Airfield parish');
    siteId = created.site.id;
    agentId = created.agent.id;
    udpPort = await freeUdpPort();
    ({ agent } = await testAgent(hub.url, created.enrolmentToken, agentDir.path, {
      drones: { endpoints: [{ name: 'radio', kind: 'udp-server', host: '127.0.0.1', port: udpPort }] },
    }));
    await waitFor('agent connected', () => agent.link.state === 'connected');
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.close();
    agentDir.remove();
    dir.remove();
  });

  it.each(FIXTURES)('%s replayed over UDP gives one flight per real flight, with its duration and height', { timeout: 180_000 }, async (name) => {
    const tlog = readFileSync(join(MAVLINK, name));
    const expected = referenceFlights(tlog);
    expect(expected.length).toBeGreaterThan(0);
    const before = new Set((await flights()).map((f) => f.id));
    const drone = await replay(tlog, SPEED);
    await drone.done;
    const filed = await waitFor('the flight in the logbook', async () => {
      const now = (await flights()).filter((f) => !before.has(f.id));
      return now.length >= expected.length ? now : undefined;
    }, 60_000);
    expect(filed).toHaveLength(expected.length);
    const byStart = [...filed].sort((a, b) => a.start.localeCompare(b.start));
    for (const [i, ref] of expected.entries()) {
      const f = byStart[i]!;
      expect(f).toMatchObject({ source: 'agent', agentId, siteId, systemId: 1 });
      expect(Math.abs(f.durationS - (ref.end - ref.start) / 1000 / SPEED), `duration of flight ${i + 1}`).toBeLessThan(1);
      expect(Math.abs(f.maxHeightM - ref.maxHeightM), `height of flight ${i + 1}`).toBeLessThan(0.5);
    }
  });

  it('a flight flown while the hub is down arrives complete when it returns', { timeout: 180_000 }, async () => {
    const tlog = readFileSync(join(MAVLINK, 'arduplane-vtol-sitl.tlog'));
    const expected = referenceFlights(tlog);
    const before = new Set((await flights()).map((f) => f.id));
    const port = Number(new URL(hub.url).port);
    await hub.close();
    const drone = await replay(tlog, SPEED);
    await drone.done;
    await waitFor('the flight log queued in the outbox', async () => agent.outbox.size > 0, 30_000);
    hub = await startHub({ dataDir: dir.path, port, consoleDir, logger: capturedLogger('hub').logger });
    await pilot.signIn('pilot1', 'pilot1 chosen password');
    const filed = await waitFor('the flight after the hub returned', async () => {
      const now = (await flights()).filter((f) => !before.has(f.id));
      return now.length >= expected.length ? now : undefined;
    }, 60_000);
    expect(filed).toHaveLength(expected.length);
    expect(Math.abs(filed[0]!.durationS - (expected[0]!.end - expected[0]!.start) / 1000 / SPEED)).toBeLessThan(1);
    expect(Math.abs(filed[0]!.maxHeightM - expected[0]!.maxHeightM)).toBeLessThan(0.5);
  });
  it('reports the link lost 3.5 to 5 s after the telemetry stops, and back when it resumes', { timeout: 90_000 }, async () => {
    const tlog = readFileSync(join(MAVLINK, 'arduplane-vtol-sitl.tlog'));
    // The replay ends on an autopilot heartbeat, so "telemetry stops" and "last heartbeat" are one moment.
    const first = await replay(tlog, 1, heartbeatAfterUs(tlog, 8_000_000));
    const up = await waitFor('vehicle up', async () => ((await plane())?.telemetry.linkUp === true ? await plane() : undefined), 15_000);
    const key = up!.telemetry.vehicleKey;
    await first.done;
    const stoppedAt = Date.now();
    const lostAt = await waitFor('link lost at the hub', async () => ((await plane())?.telemetry.linkUp === false ? Date.now() : undefined), 10_000, 50);
    expect(await openLinkAlert(key)).toBeDefined();
    // The hub learns it within a poll of the agent's verdict: the agent's 3.5 s plus delivery.
    expect(lostAt - stoppedAt).toBeGreaterThanOrEqual(3500);
    expect(lostAt - stoppedAt).toBeLessThanOrEqual(5000);

    const again = await replay(tlog, 1, 3_000_000);
    await waitFor('link back at the hub', async () => (await plane())?.telemetry.linkUp === true, 10_000);
    await again.done;
    await waitFor('the lost alert resolved', async () => (await openLinkAlert(key)) === undefined, 10_000);
  });

});
