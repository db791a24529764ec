import type { MissionItemWire } from '@sargs/shared';
import type { CameraSpec } from '@sargs/shared/survey/camera-calc';
import { cameraPreset } from '@sargs/shared/survey/camera-presets';
import { SurveyFileError, SurveyInputError } from '@sargs/shared/survey/errors';
import type { AreaGeometry } from '@sargs/shared/survey/geojson';
import { readMissionFile } from '@sargs/shared/survey/files/mission-file';
import { emptyMission, MAV_CMD, MAV_FRAME, missionItem, type Mission, type MissionItem } from '@sargs/shared/survey/mission-items';
import { planSurvey, type SurveyParams, type SurveyPlan } from '@sargs/shared/survey/planner';
import { checkMissions, type RuleCheckResult } from '@sargs/shared/survey/rules';
import type { SurveyInput } from './survey-api';
import type { SurveyStore } from './survey-store';

/** A request the survey API cannot serve as it is: the status and the words for the user. */
export class SurveyRequestError extends Error {
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

/** Turns the planning library's user errors into 400s that keep its words (and the field). */
function asRequestError(err: unknown): never {
  if (err instanceof SurveyInputError) throw new SurveyRequestError(400, err.message, err.field ? { field: err.field } : {});
  if (err instanceof SurveyFileError) throw new SurveyRequestError(400, err.message);
  throw err;
}

export async function resolveArea(survey: SurveyInput, siteId: string | undefined, store: SurveyStore): Promise<AreaGeometry> {
  if (survey.area && survey.areaId) throw new SurveyRequestError(400, 'give either "area" or "areaId", not both');
  if (survey.area) return survey.area as AreaGeometry;
  if (!survey.areaId) throw new SurveyRequestError(400, 'give the survey area: "area" (GeoJSON) or "areaId" (a saved area, with "siteId")');
  if (!siteId) throw new SurveyRequestError(400, '"areaId" needs the "siteId" it was saved for');
  const saved = await store.getArea(siteId, survey.areaId);
  if (!saved) throw new SurveyRequestError(404, `no area "${survey.areaId}" at site "${siteId}"`);
  return saved.geometry;
}

/** Plans the survey; the same input always gives the same plan, so exports and uploads re-plan rather than trust a client's copy. */
export async function planFor(survey: SurveyInput, siteId: string | undefined, store: SurveyStore): Promise<{ plan: SurveyPlan; area: AreaGeometry }> {
  const area = await resolveArea(survey, siteId, store);
  try {
    const camera: CameraSpec = typeof survey.camera === 'string' ? cameraPreset(survey.camera) : survey.camera;
    const { area: _a, areaId: _id, camera: _c, ...rest } = survey;
    const params: SurveyParams = { ...rest, camera };
    return { plan: planSurvey(area, params), area };
  } catch (err) {
    return asRequestError(err);
  }
}

/** What to check, export or upload: a planned survey (one mission per flight) or a mission file. */
export interface ResolvedMissions {
  source: 'survey' | 'file';
  plan?: SurveyPlan;
  area?: AreaGeometry;
  missions: Mission[];
  warnings: string[];
}

export async function resolveMissions(body: { survey?: SurveyInput; missionFile?: { name: string; text: string } }, siteId: string | undefined, store: SurveyStore): Promise<ResolvedMissions> {
  if (!!body.survey === !!body.missionFile) throw new SurveyRequestError(400, 'give either "survey" (area and parameters) or "missionFile" (a .plan or WPL file), not both or neither');
  if (body.survey) {
    const { plan, area } = await planFor(body.survey, siteId, store);
    return { source: 'survey', plan, area, missions: plan.flights.map((f) => f.mission), warnings: [] };
  }
  try {
    const file = readMissionFile(body.missionFile!.name, body.missionFile!.text);
    return { source: 'file', missions: [file.mission], warnings: file.warnings };
  } catch (err) {
    return asRequestError(err);
  }
}

/** The one mission that will fly: a split plan's flights are exported and uploaded one at a time. */
export function pickFlight(r: ResolvedMissions, flight: number | undefined): { mission: Mission; flight: number } {
  const n = r.missions.length;
  if (flight === undefined && n > 1) throw new SurveyRequestError(400, `the plan has ${n} flights (it does not fit one battery); say which one with "flight" (1 to ${n})`);
  const f = flight ?? 1;
  const mission = r.missions[f - 1];
  if (!mission) throw new SurveyRequestError(400, `there is no flight ${f}; the plan has ${n}`);
  return { mission, flight: f };
}

/** The rules of the air and the zones of the site (and the global ones). */
export async function checkFor(missions: Mission[], siteId: string | undefined, authorisation: string | undefined, store: SurveyStore): Promise<RuleCheckResult> {
  return checkMissions(missions, { zones: await store.zonesFor(siteId), ...(authorisation ? { authorisation } : {}) });
}

/** Refuses a mission that must not fly: what a 422 says and carries. */
export function refuseIfMustNotFly(check: RuleCheckResult, what: string): void {
  if (!check.mustNotFly) return;
  const errors = check.findings.filter((f) => f.severity === 'error');
  throw new SurveyRequestError(422, `the plan must not fly as it is (nothing ${what}): ${errors.map((f) => f.message).join('; ')}`, { findings: check.findings });
}

const ARDUPILOT = 'ardupilotmega';

/**
 * The items as the vehicle numbers them. ArduPilot keeps home as item 0 and flies from item 1,
 * so it gets the planned home first (as QGC sends it); PX4 flies from item 0.
 */
export function vehicleItems(mission: Mission, autopilot: string): MissionItem[] {
  if (autopilot !== ARDUPILOT) return mission.items;
  const home = mission.home ?? { lat: 0, lon: 0, alt: 0 };
  return [missionItem(MAV_CMD.NAV_WAYPOINT, MAV_FRAME.GLOBAL, { lat: home.lat, lon: home.lon, alt: home.alt }), ...mission.items];
}

/** A downloaded item list back in the shared model (ArduPilot's item 0 is its home). */
export function missionFromVehicle(items: MissionItem[], autopilot: string): Mission {
  if (autopilot !== ARDUPILOT || items.length === 0) return { ...emptyMission(), items };
  const [home, ...rest] = items as [MissionItem, ...MissionItem[]];
  return { ...emptyMission({ lat: home.lat, lon: home.lon, alt: home.alt }), items: rest };
}

// JSON has no NaN: MAVLink's "unset" params travel as null between hub and agent.
const nullIfNaN = (n: number) => (Number.isNaN(n) ? null : n);
export const toWire = (i: MissionItem): MissionItemWire => ({
  ...i, param1: nullIfNaN(i.param1), param2: nullIfNaN(i.param2), param3: nullIfNaN(i.param3), param4: nullIfNaN(i.param4),
});
export const fromWire = (i: MissionItemWire): MissionItem => ({
  ...i, param1: i.param1 ?? NaN, param2: i.param2 ?? NaN, param3: i.param3 ?? NaN, param4: i.param4 ?? NaN,
});

/** A plan as the console draws it: lines, photo points and waypoints per flight, the estimates, and the check. */
export function planView(plan: SurveyPlan, area: AreaGeometry, check: RuleCheckResult) {
  return {
    area, camera: plan.camera, angleDeg: plan.angleDeg, home: plan.home, speedMps: plan.speedMps, turnaroundM: plan.turnaroundM,
    flightBudgetS: plan.flightBudgetS, estimates: plan.estimates,
    flights: plan.flights.map((f) => ({
      index: f.index, estimates: f.estimates, lines: f.lines, photos: f.photos, waypoints: f.waypoints, itemCount: f.mission.items.length,
    })),
    check,
  };
}
