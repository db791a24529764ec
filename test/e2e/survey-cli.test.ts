import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { MAV_CMD, readAreaKml, readMissionFile } from '@sargs/shared/survey/index';
import { afterAll, describe, expect, it } from 'vitest';
import { cliMain, fixturesDir, repoRoot, tempDir } from '../support/paths';

/** `sargs …` as a pilot runs it: a real child process, its exit code and what it printed. */
async function sargs(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

const missions = join(fixturesDir, 'missions');
const areaKml = join(missions, 'qgc-PolygonGood.kml');
// The example: a Mavic 3 Enterprise-like camera at 2.5 cm/px, 75 % front and 65 % side overlap.
const example = ['--sensor', '17.3x13.0', '--image', '5280x3956', '--focal', '12.29', '--gsd', '2.5', '--front', '75', '--side', '65'];

describe('sargs survey (command line, end to end)', () => {
  const dir = tempDir('survey-cli');
  afterAll(() => dir.remove());
  // The inside-the-area guarantee is tested with turf in shared/src/survey/planner.test.ts; here the bounding box will do.
  const ring = readAreaKml(readFileSync(areaKml, 'utf8')).coordinates[0] as number[][];
  const [minX, minY, maxX, maxY] = [0, 1, 0, 1].map((k, i) => (i < 2 ? Math.min : Math.max)(...ring.map((p) => p[k] as number))) as [number, number, number, number];

  it('plans the issue example on the QGC KML polygon and writes a .plan that parses and imports', async () => {
    const out = join(dir.path, 'field.plan');
    const r = await sargs('survey', 'plan', '--area', areaKml, ...example, '--angle', '70', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/GSD 2\.50 cm\/px at 93\.8 m/);
    expect(r.out).toMatch(/photos: +\d+/);
    expect(r.out).toMatch(/time: +\d+ min \d+ s/);
    expect(r.out).toContain(`wrote ${out}`);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json).toMatchObject({ fileType: 'Plan', version: 1, mission: { version: 2 } });
    const { mission } = readMissionFile(out, readFileSync(out, 'utf8'));
    const cmds = mission.items.map((i) => i.command);
    expect(cmds[0]).toBe(MAV_CMD.NAV_TAKEOFF);
    expect(cmds).toContain(MAV_CMD.DO_SET_CAM_TRIGG_DIST);
    expect(cmds.at(-1)).toBe(MAV_CMD.NAV_RETURN_TO_LAUNCH);
    const wps = mission.items.filter((i) => i.command === MAV_CMD.NAV_WAYPOINT);
    expect(wps.length).toBeGreaterThan(1);
    for (const w of wps) expect(w.lon > minX && w.lon < maxX && w.lat > minY && w.lat < maxY).toBe(true);
  });

  it('writes WPL 110 and the lines as GeoJSON when asked, and prints JSON figures', async () => {
    const out = join(dir.path, 'field.waypoints');
    const lines = join(dir.path, 'field.geojson');
    const r = await sargs('survey', 'plan', '--area', areaKml, '--camera', 'dji-mavic-3-enterprise', '--gsd', '1.5', '--front', '75', '--side', '65',
      '--home', '47.6597,-122.1061', '--out', out, '--lines', lines, '--json');
    expect(r.code).toBe(0);
    const figures = JSON.parse(r.out);
    expect(figures.written).toEqual([out, lines]);
    expect(figures.estimates.photoCount).toBeGreaterThan(0);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('QGC WPL 110\n0\t1\t0\t16\t')).toBe(true);
    expect(readMissionFile(out, text).mission.home).toMatchObject({ lat: 47.6597, lon: -122.1061 });
    expect(JSON.parse(readFileSync(lines, 'utf8')).features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'line').length)
      .toBe(figures.estimates.lineCount);
  });

  it('check: exit 0 for a plan that may fly', async () => {
    const ok = await sargs('survey', 'check', '--plan', join(dir.path, 'field.plan'));
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/may fly: no errors/);
  });

  it('check: exit 1 with the zone named when the plan enters a prohibited ED-269 zone', async () => {
    const plan = join(dir.path, 'field.plan');
    const zones = join(dir.path, 'zones.json');
    writeFileSync(zones, JSON.stringify({ title: 'test', features: [{
      identifier: 'TST-1', name: 'Test helipad', type: 'COMMON', restriction: 'PROHIBITED', reason: ['EMERGENCY'],
      zoneAuthority: [{ name: 'Test CAA', email: 'uas@example.test' }],
      geometry: [{ uomDimensions: 'M', lowerLimit: 0, lowerVerticalReference: 'AGL', upperLimit: 120, upperVerticalReference: 'AGL',
        horizontalProjection: { type: 'Polygon', coordinates: [[[minX, minY], [maxX, minY], [maxX, maxY], [minX, maxY], [minX, minY]]] } }],
    }] }));
    const bad = await sargs('survey', 'check', '--plan', plan, '--zones', zones);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/ERROR +the flight .*"Test helipad" \(TST-1\): PROHIBITED, authority: Test CAA/);
    expect(bad.out).toMatch(/MUST NOT FLY as it is: 1 error/);
    const asJson = await sargs('survey', 'check', '--plan', plan, '--zones', zones, '--json');
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.out)).toMatchObject({ mustNotFly: true, zones: 1, findings: [{ severity: 'error', zone: { identifier: 'TST-1' } }] });
  });

  it('refuses to write a plan above 120 m', async () => {
    const high = join(dir.path, 'high.plan');
    const refused = await sargs('survey', 'plan', '--area', areaKml, '--camera', 'sony-qx1', '--altitude', '150', '--front', '70', '--side', '70', '--out', high);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/ERROR +.*150\.0 m .*120 m limit/);
    expect(refused.err).toMatch(/the plan was not written/);
    expect(existsSync(high)).toBe(false);
  });

  it('writes it with a recorded authorisation; check without one still says it must not fly', async () => {
    const high = join(dir.path, 'high.plan');
    const allowed = await sargs('survey', 'plan', '--area', areaKml, '--camera', 'sony-qx1', '--altitude', '150', '--front', '70', '--side', '70',
      '--authorisation', 'OPS-2025-7', '--out', high);
    expect(allowed.code).toBe(0);
    expect(allowed.out).toMatch(/WARNING .*"OPS-2025-7"/);
    const check = await sargs('survey', 'check', '--plan', high);
    expect(check.code).toBe(1);
    expect(check.out).toMatch(/MUST NOT FLY/);
  });

  it('check refuses a broken mission file, naming the problem', async () => {
    const r = await sargs('survey', 'check', '--plan', join(missions, 'qgroundcontrol_sample_wrong_mission_version.plan'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/qgroundcontrol_sample_wrong_mission_version\.plan: unsupported mission version 7/);
  });

  // One child process per case: each start of the TypeScript CLI costs seconds on a busy machine.
  const usage: [string, string[], RegExp][] = [
    ['an output name that is neither .plan nor .waypoints', ['--camera', 'sony-qx1', '--gsd', '2', '--front', '75', '--side', '65', '--out', 'x.kmz'], /must end in \.plan .* or \.waypoints/],
    ['a preset and a manual camera together', ['--camera', 'sony-qx1', ...example, '--out', 'x.plan'], /either --camera or --sensor/],
    ['a sensor size without its height', ['--sensor', '17.3', '--image', '5280x3956', '--focal', '12.29', '--gsd', '2', '--front', '75', '--side', '65', '--out', 'x.plan'], /WIDTHxHEIGHT/],
    ['both altitude and GSD', ['--camera', 'sony-qx1', '--gsd', '2', '--altitude', '50', '--front', '75', '--side', '65', '--out', 'x.plan'], /exactly one of --altitude and --gsd/],
  ];
  for (const [what, args, message] of usage) {
    it(`exits 2 on a usage mistake: ${what}`, async () => {
      const out = args.at(-1) as string;
      const r = await sargs('survey', 'plan', '--area', areaKml, ...args.slice(0, -1), join(dir.path, out));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(existsSync(join(dir.path, out))).toBe(false);
    });
  }
});
