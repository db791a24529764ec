import * as turf from '@turf/turf';
import { describe, expect, it } from 'vitest';
import type { CameraSpec } from './camera-calc';
import type { PolygonGeometry } from './geojson';
import { MAV_CMD } from './mission-items';
import { planSurvey, type SurveyPlan } from './planner';

const m3e: CameraSpec = { sensorWidthMm: 17.3, sensorHeightMm: 13.0, imageWidthPx: 5280, imageHeightPx: 3956, focalLengthMm: 12.29 };
const base = { camera: m3e, gsdCm: 2.5, frontOverlapPct: 75, sideOverlapPct: 65 };

// About 750 × 1100 m with the north-east quarter missing: lines in most directions leave and re-enter it.
const lShape: PolygonGeometry = {
  type: 'Polygon',
  coordinates: [[[8.54, 47.39], [8.55, 47.39], [8.55, 47.395], [8.545, 47.395], [8.545, 47.4], [8.54, 47.4], [8.54, 47.39]]],
};
// A U: two arms and a notch between them, so a straight hop between the arms would leave the area.
const uShape: PolygonGeometry = {
  type: 'Polygon',
  coordinates: [[[8.54, 47.39], [8.552, 47.39], [8.552, 47.4], [8.549, 47.4], [8.549, 47.393], [8.543, 47.393], [8.543, 47.4], [8.54, 47.4], [8.54, 47.39]]],
};
// A square with a square hole (a pond, a building) in the middle.
const holed: PolygonGeometry = {
  type: 'Polygon',
  coordinates: [
    [[8.54, 47.39], [8.55, 47.39], [8.55, 47.4], [8.54, 47.4], [8.54, 47.39]],
    [[8.543, 47.393], [8.543, 47.397], [8.547, 47.397], [8.547, 47.393], [8.543, 47.393]],
  ],
};

const home = { lat: 47.3895, lon: 8.5395 };

/** Every survey waypoint, every leg between two of them, every photo and line inside the area, checked by turf in degrees. */
function outsideParts(plan: SurveyPlan, area: PolygonGeometry): string[] {
  const bad: string[] = [];
  const poly = turf.polygon(area.coordinates);
  for (const f of plan.flights) {
    f.waypoints.forEach((w, i) => {
      if (!turf.booleanWithin(turf.point([w.lon, w.lat]), poly)) bad.push(`flight ${f.index} waypoint ${i + 1}`);
      const prev = f.waypoints[i - 1];
      if (prev && !turf.booleanWithin(turf.lineString([[prev.lon, prev.lat], [w.lon, w.lat]]), poly)) bad.push(`flight ${f.index} leg ${i}→${i + 1}`);
    });
    f.photos.forEach((p, i) => { if (!turf.booleanWithin(turf.point([p.lon, p.lat]), poly)) bad.push(`flight ${f.index} photo ${i + 1}`); });
    f.lines.forEach(([a, b], i) => {
      if (!turf.booleanWithin(turf.lineString([[a.lon, a.lat], [b.lon, b.lat]]), poly)) bad.push(`flight ${f.index} line ${i + 1}`);
    });
  }
  return bad;
}

describe('planSurvey keeps the whole survey inside concave areas and out of holes', () => {
  for (const [name, area] of [['L-shaped area', lShape], ['U-shaped area', uShape], ['area with a hole', holed]] as const) {
    for (const angleDeg of [0, 30, 45, 90, 135, 163]) {
      it(`${name}, lines at ${angleDeg}°`, () => {
        const plan = planSurvey(area, { ...base, angleDeg, home });
        expect(plan.flights).toHaveLength(1);
        expect(plan.flights[0]?.waypoints.length).toBeGreaterThan(10);
        expect(outsideParts(plan, area)).toEqual([]);
      });
    }
  }

  it('routes around the notch of the U instead of across it', () => {
    // Lines at 90° run east–west and cross both arms: going from one arm to the other needs a transit.
    const plan = planSurvey(uShape, { ...base, angleDeg: 90, home });
    const kinds = plan.flights.flatMap((f) => f.waypoints.map((w) => w.kind));
    const pieces = plan.flights.flatMap((f) => f.lines).length;
    expect(pieces).toBeGreaterThan(plan.estimates.lineCount);
    expect(kinds).toContain('transit');
    expect(outsideParts(plan, uShape)).toEqual([]);
  });

  it('flies two separate fields as two flights, since no leg between them can stay inside', () => {
    const fields = { type: 'MultiPolygon' as const, coordinates: [
      [[[8.54, 47.39], [8.545, 47.39], [8.545, 47.395], [8.54, 47.395], [8.54, 47.39]]],
      [[[8.55, 47.39], [8.555, 47.39], [8.555, 47.395], [8.55, 47.395], [8.55, 47.39]]],
    ] };
    const plan = planSurvey(fields, { ...base, angleDeg: 0, home });
    expect(plan.flights).toHaveLength(2);
    for (const f of plan.flights) {
      const inField = fields.coordinates.map((c) => f.waypoints.every((w) => turf.booleanWithin(turf.point([w.lon, w.lat]), turf.polygon(c))));
      expect(inField.filter(Boolean)).toHaveLength(1);
    }
  });

  it('gives the same plan for the same input', () => {
    const a = planSurvey(lShape, { ...base, home });
    const b = planSurvey(lShape, { ...base, home });
    expect(b).toEqual(a);
  });
});

describe('planSurvey output', () => {
  const plan = planSurvey(holed, { ...base, angleDeg: 0, home, speedMps: 10, turnaroundM: 15 });
  const mission = plan.flights[0]!.mission;

  it('flies at the altitude of the GSD and triggers the camera by distance on each line', () => {
    expect(plan.camera.altitudeM).toBeCloseTo(93.77, 2);
    const cmds = mission.items.map((i) => i.command);
    expect(cmds[0]).toBe(MAV_CMD.NAV_TAKEOFF);
    expect(cmds.at(-1)).toBe(MAV_CMD.NAV_RETURN_TO_LAUNCH);
    const triggers = mission.items.filter((i) => i.command === MAV_CMD.DO_SET_CAM_TRIGG_DIST);
    const on = triggers.filter((t) => t.param1 > 0);
    const off = triggers.filter((t) => t.param1 === 0);
    expect(on.length).toBe(plan.flights[0]!.lines.length);
    expect(off.length).toBe(on.length);
    expect(on[0]!.param1).toBeCloseTo(plan.camera.triggerDistanceM, 9);
    // On and off alternate: photos are never left running through a transit.
    expect(triggers.map((t) => (t.param1 > 0 ? 'on' : 'off')).join(',')).toBe(Array(on.length).fill('on,off').join(','));
    for (const wp of mission.items.filter((i) => i.command === MAV_CMD.NAV_WAYPOINT)) expect(wp.alt).toBeCloseTo(plan.camera.altitudeM, 9);
  });

  it('keeps the turnaround legs on the line, photos between them', () => {
    const f = plan.flights[0]!;
    const starts = f.waypoints.filter((w) => w.kind === 'line-start');
    const photoStarts = f.waypoints.filter((w) => w.kind === 'photo-start');
    expect(starts.length).toBe(photoStarts.length);
    const d = turf.distance([starts[0]!.lon, starts[0]!.lat], [photoStarts[0]!.lon, photoStarts[0]!.lat], { units: 'meters' });
    expect(d).toBeCloseTo(15, 1);
  });

  it('estimates photos, path, time and area consistently', () => {
    const e = plan.estimates;
    expect(e.photoCount).toBe(plan.flights[0]!.photos.length);
    // Photos are one trigger distance apart along the photographed part of each line.
    expect(e.photoCount).toBeGreaterThan((e.surveyLengthM - 2 * 15 * plan.flights[0]!.lines.length) / plan.camera.triggerDistanceM);
    expect(e.pathLengthM).toBeGreaterThan(e.surveyLengthM);
    expect(e.flightTimeS).toBeGreaterThan(e.pathLengthM / 10);
    const expectedArea = turf.area(turf.polygon(holed.coordinates));
    expect(e.areaM2).toBeCloseTo(expectedArea, 0);
    expect(e.areaM2).toBeGreaterThan(0.6e6);
  });

  it('refuses areas and parameters it cannot plan, saying why', () => {
    expect(() => planSurvey({ type: 'Polygon', coordinates: [[[8.54, 47.39], [8.55, 47.4], [8.55, 47.39], [8.54, 47.4], [8.54, 47.39]]] }, base))
      .toThrow(/crosses itself/);
    expect(() => planSurvey({ type: 'Polygon', coordinates: [[[8.54, 47.39], [8.55, 47.39]]] }, base)).toThrow(/at least 3 distinct points/);
    expect(() => planSurvey(lShape, { ...base, speedMps: 0 })).toThrow(/speed/);
    // A strip 1.5 m wide and 200 m long: nothing is left once 1 m is kept from each side.
    expect(() => planSurvey({ type: 'Polygon', coordinates: [[[8.54, 47.39], [8.5427, 47.39], [8.5427, 47.390013], [8.54, 47.390013], [8.54, 47.39]]] }, base))
      .toThrow(/too narrow to fly inside with a 1 m margin/);
  });
});

describe('battery split', () => {
  const endurance = { enduranceMin: 12, reservePct: 20 };
  const whole = planSurvey(lShape, { ...base, angleDeg: 0, home });
  const split = planSurvey(lShape, { ...base, angleDeg: 0, home, ...endurance });

  it('makes several flights, each within the endurance less the reserve', () => {
    expect(split.flightBudgetS).toBe(12 * 60 * 0.8);
    expect(split.flights.length).toBeGreaterThan(1);
    for (const f of split.flights) expect(f.estimates.flightTimeS).toBeLessThanOrEqual(split.flightBudgetS!);
    expect(whole.estimates.flightTimeS).toBeGreaterThan(split.flightBudgetS!);
  });

  it('starts and ends every flight at home', () => {
    for (const f of split.flights) {
      const items = f.mission.items;
      expect(f.mission.home).toMatchObject(home);
      expect(items[0]).toMatchObject({ command: MAV_CMD.NAV_TAKEOFF, lat: home.lat, lon: home.lon });
      expect(items.at(-1)?.command).toBe(MAV_CMD.NAV_RETURN_TO_LAUNCH);
    }
  });

  it('still flies every line, inside the area', () => {
    expect(split.estimates.surveyLengthM).toBeCloseTo(whole.estimates.surveyLengthM, 3);
    expect(outsideParts(split, lShape)).toEqual([]);
  });

  it('says so when the area is out of the battery\'s reach', () => {
    expect(() => planSurvey(lShape, { ...base, home: { lat: 47.3, lon: 8.4 }, enduranceMin: 5 })).toThrow(/battery endurance is too short/);
  });
});
