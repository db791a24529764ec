import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import type { UdpServerEndpoint } from '@sargs/agent/drones/endpoints/udp-server';
import type { RunningHub } from '@sargs/hub';
import type { VehicleView } from '@sargs/shared';
import { cameraPreset } from '@sargs/shared/survey/camera-presets';
import { readAreaKml } from '@sargs/shared/survey/files/area-files';
import { readQgcPlan } from '@sargs/shared/survey/files/qgc-plan-read';
import { MAV_CMD, MAV_FRAME, missionItem, toMissionItemInt, type MissionItem } from '@sargs/shared/survey/mission-items';
import { planSurvey } from '@sargs/shared/survey/planner';
import { MissionVehicle, type StoredItem } from '@sargs/sim/drone/mission-vehicle';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent, userWithRole } from '../support/in-process';
import { fixturesDir, tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

const AREA = readAreaKml(readFileSync(join(fixturesDir, 'missions', 'qgc-PolygonGood.kml'), 'utf8'));
const SURVEY = { area: AREA, camera: 'dji-mavic-3-enterprise', altitudeM: 40, frontOverlapPct: 75, sideOverlapPct: 70 };

/** The plan the hub makes for SURVEY (the planner is deterministic), and the items an ArduPilot vehicle must end up holding. */
function expectedMission() {
  const { area, camera, ...rest } = SURVEY;
  const mission = planSurvey(area, { ...rest, camera: cameraPreset(camera) }).flights[0]!.mission;
  const home = mission.home!;
  // ArduPilot keeps home as item 0; the survey flies from item 1.
  const items: MissionItem[] = [missionItem(MAV_CMD.NAV_WAYPOINT, MAV_FRAME.GLOBAL, { lat: home.lat, lon: home.lon, alt: home.alt }), ...mission.items];
  const stored: StoredItem[] = items.map((it, seq) => {
    const { current: _current, ...f } = toMissionItemInt(it, seq);
    // What crosses the wire as float32 comes back as float32.
    return { ...f, param1: Math.fround(f.param1), param2: Math.fround(f.param2), param3: Math.fround(f.param3), param4: Math.fround(f.param4), z: Math.fround(f.z), via: 'int' };
  });
  return { mission, stored };
}

describe('mission upload: hub → agent → UDP → simulated vehicle', () => {
  const dir = tempDir('mission');
  let hub: RunningHub;
  let admin: HubClient;
  let pilot: HubClient;
  let agent: Agent;
  let siteId: string;
  let ardupilot: MissionVehicle;
  let px4: MissionVehicle;

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(join(dir.path, 'hub')));
    pilot = await userWithRole(admin, 'pia', 'pilot');
    const site = await admin.createSite('Airfield');
    siteId = site.site.id;
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, join(dir.path, 'agent'), {
      drones: { endpoints: [{ name: 'radio', kind: 'udp-server', host: '127.0.0.1', port: 0 }] },
    }));
    const port = (agent.drones.endpoint('radio') as UdpServerEndpoint).boundPort!;
    const peer = { host: '127.0.0.1', port };
    // A lossy ArduPilot (a fifth of the mission frames lost each way) and a PX4 that refuses item 4.
    ardupilot = await MissionVehicle.start({ systemId: 1, peer, dropRate: 0.2, seed: 2024, rerequestMs: 250, heartbeatMs: 500 });
    px4 = await MissionVehicle.start({ systemId: 2, autopilot: 12, peer, reject: { item: 4, result: 6 }, rerequestMs: 250, heartbeatMs: 500 });
    // The hub knows a vehicle once the agent has heard its autopilot heartbeats and reported it.
    await waitFor('both vehicles reported by the agent', async () => {
      const seen = (await pilot.json<VehicleView[]>('GET', `/api/vehicles?siteId=${siteId}`)).filter((v) => v.telemetry.linkUp);
      return seen.map((v) => `${v.telemetry.systemId} ${v.telemetry.autopilot}`).sort().join(',') === '1 ardupilotmega,2 px4';
    });
  });
  afterAll(async () => {
    await ardupilot?.stop();
    await px4?.stop();
    await agent?.stop();
    await hub?.close();
    dir.remove();
  });

  it('uploads a planned survey through 20 % frame loss each way; the vehicle holds exactly the planned items; the upload is audited', async () => {
    const { stored } = expectedMission();
    const r = await pilot.request('POST', `/api/sites/${siteId}/vehicles/1/mission`, { survey: SURVEY });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ siteId, systemId: 1, flight: 1, items: stored.length, findings: [] });
    expect(ardupilot.mission).toEqual(stored);
    expect(ardupilot.stats.droppedIn).toBeGreaterThan(0);
    expect(ardupilot.stats.droppedOut).toBeGreaterThan(0);

    const audit = await admin.json<{ entries: { actor: string; target: string; details: Record<string, unknown> }[] }>('GET', '/api/audit?action=mission.upload');
    expect(audit.entries[0]).toMatchObject({ actor: 'pia', target: `${siteId}/sys1`, details: { systemId: 1, items: stored.length, result: 'uploaded', autopilot: 'ardupilotmega' } });
  });

  it('downloads the vehicle\'s mission back: the same items, home separated again', async () => {
    const { mission } = expectedMission();
    const got = await pilot.json<{ autopilot: string; itemCount: number; mission: { home: { lat: number; lon: number }; items: Record<keyof MissionItem, number | boolean | null>[] } }>('GET', `/api/sites/${siteId}/vehicles/1/mission`);
    expect(got.autopilot).toBe('ardupilotmega');
    expect(got.itemCount).toBe(mission.items.length + 1);
    expect(got.mission.home.lat).toBeCloseTo(mission.home!.lat, 7);
    expect(got.mission.items).toHaveLength(mission.items.length);
    got.mission.items.forEach((item, i) => {
      const want = mission.items[i]!;
      // JSON carries MAVLink's "unset" (NaN) as null.
      const param = (v: number) => (Number.isNaN(v) ? null : Math.fround(v));
      expect(item, `item ${i + 1}`).toMatchObject({ command: want.command, frame: want.frame, autocontinue: want.autocontinue, param1: param(want.param1), param2: param(want.param2), param4: param(want.param4), alt: Math.fround(want.alt) });
      expect(item.lat as number).toBeCloseTo(want.lat, 7);
      expect(item.lon as number).toBeCloseTo(want.lon, 7);
    });
    const file = await pilot.request('GET', `/api/sites/${siteId}/vehicles/1/mission?format=plan`);
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="vehicle-1.plan"');
    expect(readQgcPlan(JSON.stringify(file.body)).items).toHaveLength(mission.items.length);
  });

  it('reports which item a vehicle rejected and why; the vehicle keeps its old mission', async () => {
    const r = await pilot.request('POST', `/api/sites/${siteId}/vehicles/2/mission`, { survey: SURVEY });
    expect(r.status).toBe(422);
    // PX4 flies from item 0, so its item 4 is the mission's fifth item (no home in front).
    expect(r.body).toEqual({ error: 'the vehicle rejected item 4: MAV_MISSION_INVALID_PARAM1', code: 'protocol' });
    expect(px4.mission).toEqual([]);
    const audit = await admin.json<{ entries: { target: string; details: Record<string, unknown> }[] }>('GET', '/api/audit?action=mission.upload');
    expect(audit.entries[0]).toMatchObject({ target: `${siteId}/sys2`, details: { result: 'failed', error: 'the vehicle rejected item 4: MAV_MISSION_INVALID_PARAM1' } });
  });

  it('refuses a plan above 120 m before anything reaches the vehicle, and a vehicle that was never heard', async () => {
    const before = ardupilot.stats.framesIn + ardupilot.stats.droppedIn;
    const high = await pilot.request('POST', `/api/sites/${siteId}/vehicles/1/mission`, { survey: { ...SURVEY, altitudeM: 150 } });
    expect(high.status).toBe(422);
    expect((high.body as { error: string }).error).toMatch(/^the plan must not fly as it is \(nothing uploaded\): .*higher than 120 m/);
    expect((high.body as { findings: { code: string }[] }).findings.map((f) => f.code)).toContain('altitude-limit');
    expect(ardupilot.stats.framesIn + ardupilot.stats.droppedIn).toBe(before);

    const unknown = await pilot.request('POST', `/api/sites/${siteId}/vehicles/9/mission`, { survey: SURVEY });
    expect(unknown.status).toBe(404);
    expect((unknown.body as { error: string }).error).toBe(`no vehicle with system id 9 has been heard at site "${siteId}"`);
  });
});
