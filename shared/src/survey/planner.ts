import { cameraCalc, type CameraCalcResult, type CameraSpec } from './camera-calc';
import { SurveyInputError } from './errors';
import type { AreaGeometry, LatLon, Position } from './geojson';
import type { Mission, VehicleInfo } from './mission-items';
import { areaSquareMetres, insetArea, normalizeArea } from './planner/area';
import { splitIntoFlights, type FlightDraft } from './planner/flights';
import { InsideRouter, reflexCorners } from './planner/inside-router';
import { distance, LocalFrame, narrowestDirection } from './planner/local-frame';
import { buildFlightMission, type SurveyWaypoint } from './planner/mission-build';
import { routeLength, type FlightTiming } from './planner/pass-geometry';
import { orderPieces } from './planner/route';
import { sweepPieces } from './planner/sweep';

export type { SurveyWaypoint } from './planner/mission-build';

export interface SurveyParams {
  camera: CameraSpec;
  /** Exactly one of altitudeM (above home) and gsdCm (cm/px). */
  altitudeM?: number;
  gsdCm?: number;
  frontOverlapPct: number;
  sideOverlapPct: number;
  landscape?: boolean;
  /** Flight-line direction, degrees clockwise from north; default: the one needing fewest lines. */
  angleDeg?: number;
  /** Survey speed, m/s (default 8). */
  speedMps?: number;
  /** Run-in/run-out at each line end, inside the line, before photos start (default 10 m, as QGC). */
  turnaroundM?: number;
  /** Take-off and landing point; default: the start of the first line. */
  home?: LatLon;
  homeAltitudeAmslM?: number;
  /** Battery endurance in minutes; plans longer than it (less the reserve) become several flights. */
  enduranceMin?: number;
  /** Part of the endurance kept in reserve, percent (default 20). */
  reservePct?: number;
  /** Distance kept from the area's boundary, m (default 1). */
  marginM?: number;
  climbMps?: number;
  descentMps?: number;
  /** Acceleration used to cost each turn (default 2 m/s²). */
  accelMps2?: number;
  vehicle?: Partial<VehicleInfo>;
}

export interface SurveyFlight {
  /** 1-based. */
  index: number;
  waypoints: SurveyWaypoint[];
  photos: LatLon[];
  /** Flight-line pieces as flown (photographed parts plus turnaround legs). */
  lines: [LatLon, LatLon][];
  mission: Mission;
  estimates: { photoCount: number; pathLengthM: number; flightTimeS: number };
}

export interface SurveyEstimates {
  photoCount: number;
  /** Horizontal metres flown, home legs included, all flights. */
  pathLengthM: number;
  /** Metres of flight line. */
  surveyLengthM: number;
  flightTimeS: number;
  /** Area of the surveyed polygon(s), m². */
  areaM2: number;
  lineCount: number;
  flightCount: number;
}

export interface SurveyPlan {
  camera: CameraCalcResult;
  angleDeg: number;
  home: LatLon;
  speedMps: number;
  turnaroundM: number;
  /** Usable seconds per flight after the reserve, when an endurance was given. */
  flightBudgetS: number | null;
  flights: SurveyFlight[];
  estimates: SurveyEstimates;
}

function check(value: number | undefined, fallback: number, field: string, what: string, min: number, max = Infinity): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min || v > max) throw new SurveyInputError(`${what} must be from ${min} to ${max === Infinity ? 'any' : max} (got ${v})`, field);
  return v;
}

/**
 * Plans a survey of an area: flight lines clipped to the area, photo trigger distance and
 * positions, transits that stay inside, flights that fit the battery, and the mission items of
 * each flight. Pure and deterministic: the same area and parameters give the same plan.
 * Throws SurveyInputError for anything the caller must fix.
 */
export function planSurvey(area: AreaGeometry, params: SurveyParams): SurveyPlan {
  const polygons = normalizeArea(area);
  const camera = cameraCalc(params);
  const speedMps = check(params.speedMps, 8, 'speedMps', 'speed (m/s)', 0.5, 40);
  const turnaroundM = check(params.turnaroundM, 10, 'turnaroundM', 'turnaround distance (m)', 0, 500);
  const marginM = check(params.marginM, 1, 'marginM', 'boundary margin (m)', 0.1, 100);
  const reservePct = check(params.reservePct, 20, 'reservePct', 'battery reserve (%)', 0, 90);
  const enduranceMin = params.enduranceMin === undefined ? undefined : check(params.enduranceMin, 0, 'enduranceMin', 'battery endurance (min)', 1, 600);
  const timing: FlightTiming = {
    speedMps,
    altitudeM: camera.altitudeM,
    climbMps: check(params.climbMps, 3, 'climbMps', 'climb rate (m/s)', 0.1, 30),
    descentMps: check(params.descentMps, 2, 'descentMps', 'descent rate (m/s)', 0.1, 30),
    turnPenaltyS: speedMps / check(params.accelMps2, 2, 'accelMps2', 'acceleration (m/s²)', 0.1, 50),
  };
  if (params.home && !(Math.abs(params.home.lat) <= 90 && Math.abs(params.home.lon) <= 180)) {
    throw new SurveyInputError(`home ${params.home.lat}, ${params.home.lon} is not a latitude, longitude`, 'home');
  }
  const rawAngle = params.angleDeg ?? narrowestDirection(polygons.map((p) => p[0] as Position[]));
  if (!Number.isFinite(rawAngle)) throw new SurveyInputError('the line direction must be a number of degrees', 'angleDeg');
  const angleDeg = ((rawAngle % 180) + 180) % 180;

  const all = polygons.flat(2);
  const lons = all.map((p) => p[0] as number);
  const lats = all.map((p) => p[1] as number);
  const frame = new LocalFrame((Math.min(...lons) + Math.max(...lons)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2, angleDeg);
  const areaXY = polygons.map((rings) => frame.ringsToXY(rings));
  const insetXY = insetArea(polygons, marginM).map((rings) => frame.ringsToXY(rings));
  if (insetXY.length === 0) throw new SurveyInputError(`the area is too narrow to fly inside with a ${marginM} m margin`, 'area');

  const pieces = sweepPieces(insetXY, camera.lineSpacingM);
  if (pieces.length === 0) throw new SurveyInputError('no flight line fits inside the area', 'area');
  const router = new InsideRouter(areaXY, reflexCorners(insetXY));
  const homeXY = params.home ? frame.toXY([params.home.lon, params.home.lat]) : null;
  const steps = orderPieces(pieces, router, homeXY);
  const startXY = homeXY ?? (steps[0] as (typeof steps)[number]).pass.a;
  const budgetS = enduranceMin === undefined ? undefined : enduranceMin * 60 * (1 - reservePct / 100);
  const drafts = splitIntoFlights(steps, { home: startXY, timing, turnaroundM, triggerM: camera.triggerDistanceM, budgetS });
  drafts.forEach((d, i) => verifyInside(d, router, i + 1));

  const toLatLon = (p: Position): LatLon => { const [lon, lat] = frame.toLonLat(p) as [number, number]; return { lat, lon }; };
  const home = params.home ?? toLatLon(startXY);
  const flights = drafts.map((d, i): SurveyFlight => {
    const waypoints = d.points.map((q) => ({ ...toLatLon(q.p), kind: q.kind }));
    return {
      index: i + 1,
      waypoints,
      photos: d.photos.map(toLatLon),
      lines: d.passes.map((p) => [toLatLon(p.a), toLatLon(p.b)]),
      mission: buildFlightMission(waypoints, {
        home, homeAltitudeAmslM: params.homeAltitudeAmslM, altitudeM: camera.altitudeM, speedMps,
        triggerDistanceM: camera.triggerDistanceM, vehicle: params.vehicle,
      }),
      estimates: { photoCount: d.photos.length, pathLengthM: routeLength(startXY, d.points.map((q) => q.p)), flightTimeS: d.seconds },
    };
  });
  const sum = (f: (x: SurveyFlight) => number) => flights.reduce((s, x) => s + f(x), 0);
  return {
    camera, angleDeg, home, speedMps, turnaroundM, flightBudgetS: budgetS ?? null, flights,
    estimates: {
      photoCount: sum((f) => f.estimates.photoCount),
      pathLengthM: sum((f) => f.estimates.pathLengthM),
      surveyLengthM: drafts.reduce((s, d) => s + d.passes.reduce((t, p) => t + distance(p.a, p.b), 0), 0),
      flightTimeS: sum((f) => f.estimates.flightTimeS),
      areaM2: areaSquareMetres(polygons),
      lineCount: new Set(pieces.map((p) => p.line)).size,
      flightCount: flights.length,
    },
  };
}

/**
 * The guarantee, checked rather than assumed: every survey waypoint of a flight is inside the
 * area and so is every straight leg between two of them. A failure here is a planner bug, and
 * an unsafe plan must never come out of it.
 */
function verifyInside(d: FlightDraft, router: InsideRouter, flight: number): void {
  d.points.forEach((q, i) => {
    const prev = d.points[i - 1];
    if (!router.inside(q.p) || (prev && !router.visible(prev.p, q.p))) {
      throw new Error(`planner error: flight ${flight}, waypoint ${i + 1} leaves the area; the plan was not produced`);
    }
  });
}
