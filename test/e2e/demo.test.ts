import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlightView, LightingState, VehicleView } from '@sargs/shared';
import { startCliProcess, type CliProcess } from '../support/cli-process';
import { HubClient } from '../support/hub-client';
import { tempDir } from '../support/paths';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

const soapTime = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>`;
const CHOSEN = 'demo admin password';
/** The demo replays the 207 s ArduPlane VTOL SITL log; 10x faster keeps the flight to ~21 s. */
const SPEED = 10;
/** That log's one flight, as `sargs flights summarize` files it: armed 176.4 s, 63.35 m above home, near Canberra. */
const FLIGHT = { durationS: 176.427, maxHeightM: 63.35, lat: -35.362, lon: 149.165 };

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1');
  s.on('connect', () => { s.destroy(); resolve(false); });
  s.on('error', () => resolve(true));
});

interface Fleet { sites: { id: string; name: string }[]; agents: { id: string; online: boolean; version: string | null }[] }
interface Camera { info: { id: string; name: string }; health: { state: string } }
interface SiteLighting { current: boolean; state: LightingState | null }

describe('sargs demo', () => {
  const dir = tempDir('demo');
  let demo: CliProcess;
  let hubPort: number;
  let admin: HubClient;
  let siteId: string;
  let agentId: string;
  let cameraIds: string[];
  let cameraLines: string[];
  const groundStation = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const frames: Buffer[] = [];

  const args = () => ['demo', '--data', dir.path, '--port', String(hubPort), '--mavlink-port', String(groundStation.address().port), '--drone-speed', String(SPEED)];
  const printed = () => demo.output.join('\n');
  const lightsNow = () => demo.output.filter((l) => l.startsWith('Lights (simulated DMX universe 0): ')).at(-1);
  const cameras = () => admin.json<Camera[]>('GET', '/api/cameras');
  const passwordFile = join(dir.path, 'camera-password');

  beforeAll(async () => {
    groundStation.on('message', (m) => frames.push(m));
    groundStation.bind(0, '127.0.0.1');
    await once(groundStation, 'listening');
    hubPort = await freePort();
    demo = await startCliProcess(args(), /Console: (\S+)/);
  });
  afterAll(async () => {
    await demo?.stop();
    groundStation.close();
    dir.remove();
  });

  it('starts a hub, an agent that comes online, four ONVIF cameras with RTSP, and relays the drone to a ground station', async () => {
    const out = printed();
    const found = [...out.matchAll(/ONVIF (\S+)\s+RTSP rtsp:\/\/127\.0\.0\.1:(\d+)/g)];
    expect(found).toHaveLength(4);
    cameraLines = demo.output.filter((l) => l.includes(' ONVIF '));
    for (const [, onvif] of found) {
      const r = await fetch(onvif!, { method: 'POST', headers: { 'content-type': 'application/soap+xml' }, body: soapTime });
      expect(await r.text()).toContain('GetSystemDateAndTimeResponse');
    }
    // The drone sends to the agent, which relays every frame to the ground station's port.
    await waitFor('MAVLink frames relayed to the ground station', () => frames.length >= 10);
    expect([0xfe, 0xfd]).toContain(frames[0]![0]);

    // The cameras' password was made for this folder, is readable by its owner only, and is never printed.
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(out).not.toContain(password);

    admin = new HubClient(demo.ready);
    await admin.signInFirstTime('admin', demo.adminPassword!, CHOSEN);
    const fleet = await waitFor('the demo agent online', async () => {
      const f = await admin.json<Fleet>('GET', '/api/fleet');
      return f.agents[0]?.online ? f : undefined;
    });
    expect(fleet.sites.map((s) => s.name)).toEqual(['Demo parish administration']);
    expect(fleet.agents[0]!.version).toMatch(/^\d+\.\d+\.\d+/);
    siteId = fleet.sites[0]!.id;
    agentId = fleet.agents[0]!.id;
    // The agent onboarded and records all four cameras.
    const online = await waitFor('four cameras online', async () => {
      const cams = await cameras();
      return cams.length === 4 && cams.every((c) => c.health.state === 'online') ? cams : undefined;
    }, 30_000);
    cameraIds = online.map((c) => c.info.id).sort();
  });

  it('the replayed drone is a live vehicle with position, height and battery; when the replay ends its link is lost and the flight is in the logbook', { timeout: 90_000 }, async () => {
    const vehicle = () => admin.json<VehicleView[]>('GET', '/api/vehicles').then((all) => all.find((v) => v.agentId === agentId));
    const live = await waitFor('the drone live at the hub', async () => {
      const v = await vehicle();
      return v?.telemetry.linkUp && v.telemetry.lat !== undefined && v.telemetry.batteryPercent !== undefined ? v : undefined;
    }, 60_000);
    expect(live).toMatchObject({ siteId, current: true, telemetry: { vehicleType: 'fixed-wing', autopilot: 'ardupilotmega', systemId: 1 } });
    const t = live.telemetry;
    expect(Math.abs(t.lat! - FLIGHT.lat)).toBeLessThan(0.01);
    expect(Math.abs(t.lon! - FLIGHT.lon)).toBeLessThan(0.01);
    expect(t.altRelM).toBeGreaterThan(-5);
    expect(t.altRelM).toBeLessThan(70);
    // The SITL log has no battery; the simulated drone's pack drains from 100 % to 40 % over a replay.
    expect(t.batteryPercent).toBeGreaterThanOrEqual(40);
    expect(t.batteryPercent).toBeLessThanOrEqual(100);

    await waitFor('the demo saying the replay ended', () => /Drone: replay 1 ended/.test(printed()), 60_000);
    await waitFor('the link lost at the hub', async () => (await vehicle())?.telemetry.linkUp === false, 10_000);
    const [flight] = await waitFor('the flight in the logbook', async () => {
      const { flights } = await admin.json<{ flights: FlightView[] }>('GET', `/api/flights?site=${siteId}`);
      return flights.length ? flights : undefined;
    }, 30_000);
    expect(flight).toMatchObject({ source: 'agent', agentId, siteId, systemId: 1, vehicleType: 'fixed-wing' });
    // The agent times frames as they arrive, so a replay 10x faster flies 10x shorter; heights do not change.
    expect(Math.abs(flight!.durationS - FLIGHT.durationS / SPEED)).toBeLessThan(1);
    expect(Math.abs(flight!.maxHeightM - FLIGHT.maxHeightM)).toBeLessThan(0.5);
    expect(flight!.batteryUsedPercent).toBeGreaterThan(40);
    expect(flight!.batteryUsedPercent).toBeLessThan(60);
  });

  it('lists the simulated DMX universe, and a scene switched through the hub reaches the simulated lights', async () => {
    const artnetPort = /simulated node on 127\.0\.0\.1:(\d+)/.exec(printed())![1];
    const lighting = () => admin.json<SiteLighting>('GET', `/api/sites/${siteId}/lighting`);
    const state = await waitFor('the universe up', async () => {
      const s = (await lighting()).state;
      return s?.universes[0]?.status === 'up' ? s : undefined;
    });
    expect(state.universes).toEqual([expect.objectContaining({ universe: 0, driver: 'artnet', target: `127.0.0.1:${artnetPort}` })]);
    expect(state.scenes.map((s) => [s.name, s.schedule?.type ?? null])).toEqual([
      ['Entrance lights', null], ['Car park floodlights', 'dusk-to-dawn'], ['Reception cleaning', 'fixed'],
    ]);
    await expect.poll(lightsNow).toBeDefined();
    expect(lightsNow()).not.toContain('entrance-door');

    const scene = `/api/sites/${siteId}/lighting/scenes/${encodeURIComponent('Entrance lights')}/override`;
    await admin.json('POST', scene, { state: 'on', minutes: 5 });
    await expect.poll(lightsNow).toContain('entrance-door dimmer 255; entrance-canopy dimmer 200 red 255 green 190 blue 120');
    expect((await lighting()).state!.universes[0]!.values.slice(0, 5)).toEqual([255, 200, 255, 190, 120]);
    await admin.request('DELETE', scene);
    await expect.poll(lightsNow).not.toContain('entrance-door');
  });

  it('a restart on the same data folder comes back with the same cameras and password, one site and one agent', { timeout: 90_000 }, async () => {
    const password = readFileSync(passwordFile, 'utf8');
    const rtspPorts = cameraLines.map((l) => Number(/rtsp:\/\/127\.0\.0\.1:(\d+)/.exec(l)![1]));
    // Ctrl-C ends everything it started: no camera is left listening.
    expect(await demo.stop('SIGINT')).toBe(0);
    for (const port of rtspPorts) expect(await refused(port)).toBe(true);

    demo = await startCliProcess(args(), /Console: (\S+)/);
    expect(demo.adminPassword).toBeUndefined();
    expect(printed()).toContain('Sign in as "admin" with the password you chose');
    // The same simulated cameras on the same ports, with the same password.
    expect(demo.output.filter((l) => l.includes(' ONVIF '))).toEqual(cameraLines);
    expect(readFileSync(passwordFile, 'utf8')).toBe(password);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);

    admin = new HubClient(demo.ready);
    await admin.signIn('admin', CHOSEN);
    const fleet = await waitFor('the demo agent online again', async () => {
      const f = await admin.json<Fleet>('GET', '/api/fleet');
      return f.agents.every((a) => a.online) ? f : undefined;
    });
    expect(fleet.sites.map((s) => s.id)).toEqual([siteId]);
    expect(fleet.agents.map((a) => a.id)).toEqual([agentId]);
    await waitFor('the four cameras online again', async () => (await cameras()).every((c) => c.health.state === 'online'), 30_000);
    expect((await cameras()).map((c) => c.info.id).sort()).toEqual(cameraIds);
  });

  it('a restart with fewer cameras drops the others at the agent and at the hub', { timeout: 60_000 }, async () => {
    expect(await demo.stop('SIGINT')).toBe(0);
    demo = await startCliProcess([...args(), '--cameras', '3'], /Console: (\S+)/);
    expect(demo.output.filter((l) => l.includes(' ONVIF '))).toEqual(cameraLines.slice(0, 3));
    admin = new HubClient(demo.ready);
    await admin.signIn('admin', CHOSEN);
    const kept = await waitFor('three cameras online', async () => {
      const cams = await cameras();
      return cams.length === 3 && cams.every((c) => c.health.state === 'online') ? cams : undefined;
    }, 30_000);
    expect(cameraIds).toEqual(expect.arrayContaining(kept.map((c) => c.info.id)));
    expect(kept.map((c) => c.info.name).sort()).toEqual(['Car park', 'Entrance', 'Reception']);
  });
});
