import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as turf from '@turf/turf';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { SurveyFileError } from './errors';
import { readAreaFile, readAreaGeoJson, readAreaKml } from './files/area-files';
import { planToGeoJson, planToKml } from './files/lines-export';
import { readMissionFile, writeMission } from './files/mission-file';
import { readWpl, writeWpl } from './files/wpl';
import { fromMissionItemInt, MAV_CMD, toMissionItemInt, type Mission, type MissionItem } from './mission-items';
import { planSurvey } from './planner';
import { fixturesDir } from '../../../test/support/paths';

const missions = path.join(fixturesDir, 'missions');
const text = (name: string) => readFileSync(path.join(missions, name), 'utf8');
const read = (name: string) => readMissionFile(name, text(name));

/** Items equal as a vehicle would see them: same commands, frames and params, coordinates within 1e-7°. */
function expectSameItems(actual: MissionItem[], expected: MissionItem[]) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i] as MissionItem;
    expect({ i, command: a.command, frame: a.frame, autocontinue: a.autocontinue }).toEqual({ i, command: e.command, frame: e.frame, autocontinue: e.autocontinue });
    for (const k of ['param1', 'param2', 'param3', 'param4', 'alt'] as const) expect(Object.is(a[k], e[k]) || a[k] === e[k], `item ${i + 1} ${k}: ${a[k]} vs ${e[k]}`).toBe(true);
    expect(Math.abs(a.lat - e.lat)).toBeLessThanOrEqual(1e-7);
    expect(Math.abs(a.lon - e.lon)).toBeLessThanOrEqual(1e-7);
  });
}

/** A .plan stores fence and rally points as geometry only (no frame or autocontinue; rally points as lat, lon, alt): compare that. */
const geometry = (items: MissionItem[]) => items.map((i) => ({ command: i.command, lat: i.lat, lon: i.lon, alt: i.alt, ...(i.command < 5100 ? { param1: i.param1 } : {}) }));

function expectSameMission(actual: Mission, expected: Mission) {
  expectSameItems(actual.items, expected.items);
  expect(geometry(actual.fence)).toEqual(geometry(expected.fence));
  expect(geometry(actual.rally)).toEqual(geometry(expected.rally));
  if (expected.home) {
    expect(actual.home?.lat).toBeCloseTo(expected.home.lat, 7);
    expect(actual.home?.lon).toBeCloseTo(expected.home.lon, 7);
  } else expect(actual.home).toBeNull();
}

describe('mission fixtures that are valid import', () => {
  it('qgroundcontrol_sample.plan: the six items MAVSDK reads, home from plannedHomePosition', () => {
    const { format, mission } = read('qgroundcontrol_sample.plan');
    expect(format).toBe('qgc-plan');
    expect(mission.items.map((i) => i.command)).toEqual([22, 16, 2000, 16, 16, 20]);
    expect(mission.items[0]).toMatchObject({ frame: 3, param1: 15, lat: 47.3977507, lon: 8.5456075, alt: 50 });
    expect(mission.items[0]?.param4).toBeNaN(); // null in the file: "unset"
    expect(mission.home).toEqual({ lat: 47.3977507, lon: 8.5456075, alt: 488.93101752001763 });
    expect(mission.vehicle).toEqual({ firmwareType: 12, vehicleType: 2, cruiseSpeed: 15, hoverSpeed: 5 });
  });

  it('qgroundcontrol_sample_with_survey.plan: the survey through its expanded items', () => {
    const { mission } = read('qgroundcontrol_sample_with_survey.plan');
    expect(mission.items.map((i) => i.command)).toEqual([530, 16, 206, 16, 206, 16, 16, 16, 16, 206, 16, 16, 206]);
    const triggers = mission.items.filter((i) => i.command === MAV_CMD.DO_SET_CAM_TRIGG_DIST).map((i) => i.param1);
    expect(triggers).toEqual([25, 25, 25, 0]);
    expect(toMissionItemInt(mission.items[1]!, 1)).toMatchObject({ x: 473977060, y: 85463397, z: 50 });
  });

  it('qgroundcontrol_sample_with_digicam_control.plan: a non-global item keeps its raw params 5–7', () => {
    const { mission } = read('qgroundcontrol_sample_with_digicam_control.plan');
    expect(mission.items).toHaveLength(1);
    expect(mission.items[0]).toMatchObject({ command: 203, frame: 2, param1: 1, lat: 1, lon: 0 });
    expect(toMissionItemInt(mission.items[0]!, 0)).toMatchObject({ x: 1, y: 0 });
    expect(mission.home).toBeNull(); // [0, 0, 0] in the file
  });

  it('WPL 110 files: row 0 is home, the rest are items', () => {
    const mp = read('mission_planner_sample.txt');
    expect(mp.format).toBe('wpl');
    expect(mp.mission.home).toEqual({ lat: 47.3978101, lon: 8.545538, alt: 15 });
    expect(mp.mission.items.map((i) => i.command)).toEqual([16, 16, 20]);
    expect(mp.warnings.join()).toMatch(/row 0 holds command 22/);
    const dk = read('dronekit-mpmission.txt');
    expect(dk.mission.home).toEqual({ lat: -35.363262, lon: 149.165237, alt: 584 });
    expect(dk.mission.items.map((i) => i.command)).toEqual([22, 16, 16, 16, 16, 16]);
    expect(dk.mission.items[0]).toMatchObject({ frame: 0, lat: -35.361988, lon: 149.163753, alt: 100 });
    expect(dk.warnings).toEqual([]);
  });

  it('pymavlink fence and rally WPL files fill the fence and rally lists', () => {
    const fence = read('pymavlink-fence-110.txt').mission;
    expect(fence.items).toEqual([]);
    expect(fence.fence.map((i) => i.command)).toEqual([5001, 5001, 5001, 5001, 5001, 5001, 5001, 5001, 5004, 5004]);
    expect(fence.fence[8]).toMatchObject({ param1: 20, lat: 40.071609, lon: -105.228172 });
    const rally = read('pymavlink-rally-110.txt').mission;
    expect(rally.rally.map((i) => i.lat)).toEqual([40.071766, 40.071014]);
  });

  for (const name of ['qgroundcontrol_sample.plan', 'qgroundcontrol_sample_with_survey.plan', 'qgroundcontrol_sample_with_digicam_control.plan',
    'mission_planner_sample.txt', 'dronekit-mpmission.txt', 'pymavlink-fence-110.txt', 'pymavlink-rally-110.txt']) {
    it(`${name}: export → import round-trips through .plan and WPL`, () => {
      const original = read(name).mission;
      const viaPlan = readMissionFile('x.plan', writeMission(original, 'qgc-plan')).mission;
      expectSameMission(viaPlan, original);
      expect(viaPlan.vehicle).toEqual(original.vehicle);
      if (original.fence.length) expectSameItems(readWpl(writeWpl(original, 'fence')).mission.fence, original.fence);
      else if (original.rally.length) expectSameItems(readWpl(writeWpl(original, 'rally')).mission.rally, original.rally);
      else expectSameMission(readMissionFile('x.waypoints', writeWpl(original)).mission, { ...original, home: original.home ?? { lat: 0, lon: 0, alt: 0 } });
    });
  }

  it('MISSION_ITEM_INT encoding round-trips every item of every fixture', () => {
    for (const name of ['qgroundcontrol_sample.plan', 'qgroundcontrol_sample_with_survey.plan', 'dronekit-mpmission.txt']) {
      const items = read(name).mission.items;
      expectSameItems(items.map((it, i) => fromMissionItemInt(toMissionItemInt(it, i))), items);
    }
  });
});

describe('broken mission files are refused with the problem named', () => {
  const cases: [string, RegExp][] = [
    ['qgroundcontrol_sample_with_survey_missing_items.plan', /mission item 2: the survey has no "TransectStyleComplexItem.Items"/],
    ['qgroundcontrol_sample_with_survey_wrong_version.plan', /mission item 2: survey version 9 is not supported \(Sargs reads version 5\)/],
    ['qgroundcontrol_sample_wrong_mission_version.plan', /unsupported mission version 7 \(Sargs reads version 2\)/],
    ['qgroundcontrol_sample_wrong_overall_version.plan', /unsupported \.plan version 42 \(Sargs reads version 1\)/],
    ['qgroundcontrol_sample_without_mission.plan', /the file has no "mission" section/],
    ['qgroundcontrol_sample_with_structured_scan.plan', /mission item 2: complex item type "StructureScan" is not supported/],
  ];
  for (const [name, message] of cases) {
    it(name, () => {
      let error: unknown;
      try { read(name); } catch (err) { error = err; }
      expect(error).toBeInstanceOf(SurveyFileError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message.startsWith(`${name}: `)).toBe(true);
    });
  }

  it('names the line and field of a bad WPL row', () => {
    expect(() => readWpl('QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\t1\n1\t0\t3\t16\t0\t0\t0\t0\tabc\t2\t3\t1\n'))
      .toThrow(/line 3: latitude is "abc", expected a number/);
    expect(() => readWpl('QGC WPL 110\n0\t1\t0\t16\t0\t0\n')).toThrow(/line 2: expected 12 tab-separated fields, found 6/);
    expect(() => readMissionFile('m.txt', 'QGC WPL 100\n')).toThrow(/m\.txt: the first line is "QGC WPL 100", expected "QGC WPL 110"/);
    expect(() => readMissionFile('m.plan', '{"fileType": "Plan", "version": 1, ')).toThrow(/m\.plan: not valid JSON/);
  });
});

describe('survey areas from files', () => {
  it('reads the QGC KML polygon', () => {
    const area = readAreaFile('qgc-PolygonGood.kml', text('qgc-PolygonGood.kml'));
    expect(area.type).toBe('Polygon');
    expect(area.coordinates[0]).toHaveLength(5);
    expect(area.coordinates[0]?.[0]).toEqual([-122.1059149362712, 47.65965281788451]);
  });

  it('refuses the malformed QGC KML, naming what is wrong', () => {
    expect(() => readAreaKml(text('qgc-PolygonBadCoordinatesNode.kml'))).toThrow(/KML: text before the XML declaration \("Incorrectly formed XML test file"\)/);
    // The same file without the junk line still lacks its LinearRing.
    const withoutJunk = text('qgc-PolygonBadCoordinatesNode.kml').replace(/^[^<]*/, '');
    expect(() => readAreaKml(withoutJunk)).toThrow(/KML polygon 1 \("Untitled Polygon"\): its <outerBoundaryIs> has no <LinearRing>/);
    expect(() => readAreaKml('<kml><Document></Document></kml>')).toThrow(/no Polygon or MultiPolygon found/);
  });

  it('reads GeoJSON polygons bare, in a Feature or in a FeatureCollection (holes kept)', () => {
    const poly = { type: 'Polygon', coordinates: [[[8, 47], [8.01, 47], [8.01, 47.01], [8, 47.01], [8, 47]], [[8.004, 47.004], [8.006, 47.004], [8.006, 47.006], [8.004, 47.006], [8.004, 47.004]]] };
    expect(readAreaGeoJson(JSON.stringify(poly))).toEqual(poly);
    expect(readAreaGeoJson(JSON.stringify({ type: 'Feature', geometry: poly, properties: {} }))).toEqual(poly);
    const two = readAreaGeoJson(JSON.stringify({ type: 'FeatureCollection', features: [
      { type: 'Feature', geometry: poly, properties: {} },
      { type: 'Feature', geometry: { type: 'Point', coordinates: [8, 47] }, properties: {} },
      { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[9, 47], [9.01, 47], [9.01, 47.01], [9, 47]]] }, properties: {} },
    ] }));
    expect(two.type).toBe('MultiPolygon');
    expect(two.coordinates).toHaveLength(2);
    expect(() => readAreaGeoJson('{"type":"Point","coordinates":[8,47]}')).toThrow(/GeoJSON: no Polygon or MultiPolygon found/);
    expect(() => readAreaGeoJson('{"type":"Polygon","coordinates":[[[8,47],[8,95],[9,47],[8,47]]]}')).toThrow(/point 2 .* outside/);
  });
});

describe('lines to KML and GeoJSON', () => {
  const area = readAreaFile('qgc-PolygonGood.kml', text('qgc-PolygonGood.kml'));
  const plan = planSurvey(area, { camera: { sensorWidthMm: 17.3, sensorHeightMm: 13, imageWidthPx: 5280, imageHeightPx: 3956, focalLengthMm: 12.29 }, gsdCm: 1, frontOverlapPct: 75, sideOverlapPct: 65 });

  it('writes GeoJSON with the route, every line and every photo, all inside the area where they should be', () => {
    const fc = planToGeoJson(plan);
    const lines = fc.features.filter((f) => f.properties.kind === 'line');
    expect(lines).toHaveLength(plan.flights[0]!.lines.length);
    expect(fc.features.filter((f) => f.properties.kind === 'photo')).toHaveLength(plan.estimates.photoCount);
    for (const l of lines) expect(turf.booleanWithin(l.geometry as never, turf.polygon(area.coordinates as number[][][]))).toBe(true);
  });

  it('writes KML that an XML parser reads, one placemark per line plus the route and home', () => {
    const kml = planToKml(plan, 'Test');
    const doc = new DOMParser().parseFromString(kml, 'text/xml');
    expect(doc.getElementsByTagName('Placemark').length).toBe(plan.flights[0]!.lines.length + 2);
    expect(doc.getElementsByTagName('LineString').length).toBe(plan.flights[0]!.lines.length + 1);
  });
});
