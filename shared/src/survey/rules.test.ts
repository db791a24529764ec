import { describe, expect, it } from 'vitest';
import type { PolygonGeometry } from './geojson';
import { MAV_CMD, MAV_FRAME, missionItem, emptyMission } from './mission-items';
import { planSurvey } from './planner';
import { checkMission, checkMissions } from './rules';
import { readEd269 } from './zones-ed269';

const m3e = { sensorWidthMm: 17.3, sensorHeightMm: 13.0, imageWidthPx: 5280, imageHeightPx: 3956, focalLengthMm: 12.29 };
const area: PolygonGeometry = {
  type: 'Polygon',
  coordinates: [[[8.54, 47.39], [8.55, 47.39], [8.55, 47.395], [8.545, 47.395], [8.545, 47.4], [8.54, 47.4], [8.54, 47.39]]],
};
const home = { lat: 47.3895, lon: 8.5395 };
const plan = (altitudeM: number) => planSurvey(area, { camera: m3e, altitudeM, frontOverlapPct: 75, sideOverlapPct: 65, angleDeg: 0, home });
const square = (lon: number, lat: number, d: number) => [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]];

/** An ED-269 file in the layout of the spec (EUROCAE ED-269 / EU 2019/947 UAS geographical zones). */
const ed269 = {
  title: 'Sargs test zones',
  description: 'Zones made up for the tests; the layout follows ED-269',
  features: [
    {
      identifier: 'TST-P1', country: 'CHE', name: 'Hospital helipad', type: 'COMMON', restriction: 'PROHIBITED',
      restrictionConditions: [], region: 0, reason: ['EMERGENCY'], otherReasonInfo: '', regulationExemption: 'NO', uSpaceClass: '',
      message: 'Rescue helicopter operations',
      zoneAuthority: [{ name: 'Federal Office of Civil Aviation', service: 'UAS', email: 'drones@example.test', contactName: 'Desk', siteURL: 'https://example.test', phone: '+41 00 000 00 00', purpose: 'AUTHORIZATION', intervalBefore: 'P1D' }],
      applicability: [{ permanent: 'YES', startDateTime: '', endDateTime: '', schedule: [] }],
      geometry: [{ uomDimensions: 'M', lowerLimit: 0, lowerVerticalReference: 'AGL', upperLimit: 120, upperVerticalReference: 'AGL', horizontalProjection: { type: 'Polygon', coordinates: square(8.541, 47.391, 0.001) } }],
    },
    {
      identifier: 'TST-A1', country: 'CHE', name: 'Nature reserve', type: 'COMMON', restriction: 'REQ_AUTHORISATION', reason: ['NATURE'],
      zoneAuthority: [{ name: 'Cantonal nature office', email: 'nature@example.test' }],
      geometry: [{ uomDimensions: 'M', lowerLimit: 0, lowerVerticalReference: 'AGL', upperLimit: 150, upperVerticalReference: 'AGL', horizontalProjection: { type: 'Circle', center: [8.548, 47.3925], radius: 100 } }],
    },
    {
      identifier: 'TST-F1', country: 'CHE', name: 'Far away airfield', type: 'COMMON', restriction: 'PROHIBITED',
      zoneAuthority: [{ name: 'Airfield' }],
      geometry: [{ uomDimensions: 'M', lowerLimit: 0, upperLimit: 300, horizontalProjection: { type: 'Polygon', coordinates: square(9, 47, 0.01) } }],
    },
    {
      identifier: 'TST-H1', country: 'CHE', name: 'Approach sector above 500 ft', type: 'COMMON', restriction: 'PROHIBITED',
      zoneAuthority: [{ name: 'Air navigation' }],
      geometry: [{ uomDimensions: 'FT', lowerLimit: 500, lowerVerticalReference: 'AGL', upperLimit: 2000, upperVerticalReference: 'AGL', horizontalProjection: { type: 'Polygon', coordinates: square(8.53, 47.38, 0.03) } }],
    },
  ],
};

describe('height limit (EU 2019/947 open category)', () => {
  it('flags a plan at 150 m as an error naming the limit', () => {
    const r = checkMissions(plan(150).flights.map((f) => f.mission));
    expect(r.mustNotFly).toBe(true);
    const f = r.findings.find((x) => x.code === 'altitude-limit');
    expect(f?.severity).toBe('error');
    expect(f?.message).toMatch(/highest 150\.0 m .*above the 120 m limit of the EU open category/);
    expect(r.maxHeightM).toBe(150);
  });

  it('accepts 150 m with a recorded authorisation, as a warning that quotes it', () => {
    const r = checkMissions(plan(150).flights.map((f) => f.mission), { authorisation: 'CH-UAS-2024-0042' });
    expect(r.mustNotFly).toBe(false);
    expect(r.findings.find((x) => x.code === 'altitude-limit')).toMatchObject({ severity: 'warning', message: expect.stringContaining('"CH-UAS-2024-0042"') });
  });

  it('has nothing to say about a plan at 100 m with no zones', () => {
    expect(checkMissions(plan(100).flights.map((f) => f.mission))).toEqual({ findings: [], mustNotFly: false, maxHeightM: 100 });
  });

  it('warns when heights above sea level cannot be turned into heights above ground', () => {
    const m = emptyMission({ lat: 47, lon: 8, alt: 0 });
    m.items = [missionItem(MAV_CMD.NAV_WAYPOINT, MAV_FRAME.GLOBAL, { lat: 47.001, lon: 8, alt: 600 })];
    const r = checkMission(m);
    expect(r.findings).toMatchObject([{ severity: 'warning', code: 'altitude-unknown', item: 1 }]);
    expect(r.maxHeightM).toBeNull();
    m.home = { lat: 47, lon: 8, alt: 450 };
    expect(checkMission(m).findings).toMatchObject([{ code: 'altitude-limit', severity: 'error', message: expect.stringContaining('150.0 m') }]);
  });
});

describe('UAS geographical zones (ED-269)', () => {
  const zones = readEd269(JSON.stringify(ed269));

  it('reads the spec layout: names, restrictions, authorities, limits in metres, circles', () => {
    expect(zones.map((z) => [z.identifier, z.restriction])).toEqual([['TST-P1', 'PROHIBITED'], ['TST-A1', 'REQ_AUTHORISATION'], ['TST-F1', 'PROHIBITED'], ['TST-H1', 'PROHIBITED']]);
    expect(zones[0]?.authorities[0]).toMatchObject({ name: 'Federal Office of Civil Aviation', email: 'drones@example.test' });
    expect(zones[1]?.volumes[0]?.circle).toEqual({ lon: 8.548, lat: 47.3925, radiusM: 100 });
    expect(zones[3]?.volumes[0]?.lowerM).toBeCloseTo(152.4, 6);
  });

  it('flags a plan that flies through zones with their name, restriction and authority', () => {
    const r = checkMissions(plan(90).flights.map((f) => f.mission), { zones });
    expect(r.mustNotFly).toBe(true);
    const byZone = Object.fromEntries(r.findings.filter((f) => f.code === 'zone').map((f) => [f.zone?.identifier, f]));
    expect(Object.keys(byZone).sort()).toEqual(['TST-A1', 'TST-P1']); // not the far one, not the one above 500 ft
    expect(byZone['TST-P1']).toMatchObject({
      severity: 'error',
      zone: { name: 'Hospital helipad', restriction: 'PROHIBITED', authorities: ['Federal Office of Civil Aviation'] },
      message: expect.stringMatching(/enters .*"Hospital helipad" \(TST-P1\): PROHIBITED, authority: Federal Office of Civil Aviation, drones@example\.test.*Rescue helicopter/),
    });
    expect(byZone['TST-A1']).toMatchObject({ severity: 'error', zone: { restriction: 'REQ_AUTHORISATION', authorities: ['Cantonal nature office'] } });
  });

  it('lets an authorisation lower a REQ_AUTHORISATION zone to a warning, never a PROHIBITED one', () => {
    const r = checkMissions(plan(90).flights.map((f) => f.mission), { zones, authorisation: 'NAT-7' });
    expect(r.findings.find((f) => f.zone?.identifier === 'TST-A1')?.severity).toBe('warning');
    expect(r.findings.find((f) => f.zone?.identifier === 'TST-P1')?.severity).toBe('error');
  });

  it('reads the published variants: a bare list, UASZoneList with single objects, GeoJSON properties', () => {
    const bare = readEd269(JSON.stringify([ed269.features[0]]));
    expect(bare[0]?.name).toBe('Hospital helipad');
    const list = readEd269(JSON.stringify({ UASZoneList: [{
      identifier: 'EC-1', name: 'Old style', restriction: 'REQ_AUTHORIZATION', zoneAuthority: { name: 'CAA' },
      airspaceVolume: { uomDimensions: 'FT', lowerLimit: 0, upperLimit: 400, horizontalProjection: { type: 'Polygon', coordinates: square(8, 47, 0.01) } },
    }] }));
    expect(list[0]).toMatchObject({ restriction: 'REQ_AUTHORISATION', authorities: [{ name: 'CAA' }] });
    expect(list[0]?.volumes[0]?.upperM).toBeCloseTo(121.92, 6);
    const geo = readEd269(JSON.stringify({ type: 'FeatureCollection', features: [{
      type: 'Feature', properties: { identifier: 'G-1', name: 'GeoJSON style', restriction: 'CONDITIONAL', upperLimit: 60, uomDimensions: 'M' },
      geometry: { type: 'Polygon', coordinates: square(8.54, 47.39, 0.002) },
    }] }));
    expect(geo[0]).toMatchObject({ identifier: 'G-1', restriction: 'CONDITIONAL' });
    expect(geo[0]?.volumes[0]?.upperM).toBe(60);
    const r = checkMissions(plan(90).flights.map((f) => f.mission), { zones: geo });
    // Its 60 m ceiling is below the survey at 90 m; take-off and landing are vertical at home, outside it.
    expect(r.findings).toEqual([]);
  });

  it('refuses malformed files, naming the zone and what is wrong', () => {
    expect(() => readEd269('{"features": [')).toThrow(/ED-269 zones: not valid JSON/);
    expect(() => readEd269('{"zones": []}')).toThrow(/no zones found: expected an ED-269 object with a "features" list/);
    const broken = (patch: object) => JSON.stringify({ features: [{ ...ed269.features[0], ...patch }] });
    expect(() => readEd269(broken({ restriction: undefined, type: 'COMMON' }))).toThrow(/ED-269 zone 1 \("Hospital helipad"\): has no "restriction"/);
    expect(() => readEd269(broken({ restriction: 'FORBIDDEN' }))).toThrow(/has restriction "FORBIDDEN", expected one of PROHIBITED/);
    expect(() => readEd269(broken({ geometry: [] }))).toThrow(/"Hospital helipad"\): has no "geometry"/);
    const badPoint = { ...ed269.features[0]!.geometry[0], horizontalProjection: { type: 'Polygon', coordinates: [[[8, 47], [8.1, 'x'], [8.1, 47.1], [8, 47]]] } };
    expect(() => readEd269(broken({ geometry: [badPoint] }))).toThrow(/geometry 1, polygon 1: ring 1, point 2 is not \[longitude, latitude\]/);
    const badShape = { ...ed269.features[0]!.geometry[0], horizontalProjection: { type: 'Ellipse' } };
    expect(() => readEd269(broken({ geometry: [badShape] }))).toThrow(/horizontalProjection type "Ellipse" is not supported/);
    const badUnit = { ...ed269.features[0]!.geometry[0], uomDimensions: 'NM' };
    expect(() => readEd269(broken({ geometry: [badUnit] }))).toThrow(/uomDimensions "NM", expected "M" or "FT"/);
  });
});
