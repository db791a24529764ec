import { SurveyFileError } from '../errors';
import { DEFAULT_VEHICLE, MAV_CMD, MAV_FRAME, type HomePosition, type Mission, type MissionItem } from '../mission-items';

/**
 * Reads a QGroundControl .plan file (JSON, fileType "Plan", version 1, mission version 2) the
 * way QGC and MAVSDK's importer do: simple items as they are, survey complex items through the
 * expanded items QGC stores with them (TransectStyleComplexItem.Items), geofence and rally
 * points into their own lists. Anything else is refused with the reason, never skipped quietly.
 */

const PLAN_VERSION = 1;
const MISSION_VERSION = 2;
const SURVEY_VERSION = 5;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v));

export function readQgcPlan(text: string): Mission {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new SurveyFileError(`not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(root)) throw new SurveyFileError('the file is not a JSON object');
  if (root.fileType !== 'Plan') throw new SurveyFileError(`fileType is ${describe(root.fileType)}, expected "Plan"`);
  if (root.version !== PLAN_VERSION) {
    throw new SurveyFileError(`unsupported .plan version ${describe(root.version)} (Sargs reads version ${PLAN_VERSION})`);
  }
  const mission = root.mission;
  if (mission === undefined) throw new SurveyFileError('the file has no "mission" section');
  if (!isObject(mission)) throw new SurveyFileError('"mission" is not an object');
  if (mission.version !== MISSION_VERSION) {
    throw new SurveyFileError(`unsupported mission version ${describe(mission.version)} (Sargs reads version ${MISSION_VERSION})`);
  }
  if (!Array.isArray(mission.items)) throw new SurveyFileError('the mission has no "items" list');
  const items: MissionItem[] = [];
  mission.items.forEach((raw, i) => {
    const where = `mission item ${i + 1}`;
    if (!isObject(raw)) throw new SurveyFileError('is not an object', where);
    if (raw.type === 'SimpleItem') items.push(simpleItem(raw, where));
    else if (raw.type === 'ComplexItem') items.push(...complexItem(raw, where));
    else throw new SurveyFileError(`has type ${describe(raw.type)}, expected "SimpleItem" or "ComplexItem"`, where);
  });
  return {
    home: plannedHome(mission.plannedHomePosition),
    items,
    fence: isObject(root.geoFence) ? geoFence(root.geoFence) : [],
    rally: isObject(root.rallyPoints) ? rallyPoints(root.rallyPoints) : [],
    vehicle: {
      firmwareType: num(mission.firmwareType, DEFAULT_VEHICLE.firmwareType),
      vehicleType: num(mission.vehicleType, DEFAULT_VEHICLE.vehicleType),
      cruiseSpeed: num(mission.cruiseSpeed, DEFAULT_VEHICLE.cruiseSpeed),
      hoverSpeed: num(mission.hoverSpeed, DEFAULT_VEHICLE.hoverSpeed),
    },
  };
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

function simpleItem(raw: Json, where: string): MissionItem {
  for (const key of ['command', 'frame'] as const) {
    if (!Number.isInteger(raw[key])) throw new SurveyFileError(`"${key}" is ${describe(raw[key])}, expected a whole number`, where);
  }
  if (typeof raw.autoContinue !== 'boolean') throw new SurveyFileError(`"autoContinue" is ${describe(raw.autoContinue)}, expected true or false`, where);
  const params = raw.params;
  if (!Array.isArray(params) || params.length !== 7) throw new SurveyFileError('"params" must be a list of 7 values', where);
  const p = params.map((v, k) => {
    if (v === null) return NaN; // QGC writes NaN ("unset") as null.
    if (typeof v !== 'number') throw new SurveyFileError(`param ${k + 1} is ${describe(v)}, expected a number or null`, where);
    return v;
  }) as [number, number, number, number, number, number, number];
  return {
    command: raw.command as number, frame: raw.frame as number,
    param1: p[0], param2: p[1], param3: p[2], param4: p[3],
    // MAVSDK treats null coordinates as 0; keep that so both read a file alike.
    lat: Number.isNaN(p[4]) ? 0 : p[4], lon: Number.isNaN(p[5]) ? 0 : p[5], alt: p[6],
    autocontinue: raw.autoContinue,
  };
}

function complexItem(raw: Json, where: string): MissionItem[] {
  const kind = raw.complexItemType;
  if (kind !== 'survey') {
    throw new SurveyFileError(
      `complex item type ${describe(kind)} is not supported: only "survey" items, whose flight path QGC saves with them, can be imported`, where);
  }
  if (raw.version !== SURVEY_VERSION) {
    throw new SurveyFileError(`survey version ${describe(raw.version)} is not supported (Sargs reads version ${SURVEY_VERSION})`, where);
  }
  const transect = raw.TransectStyleComplexItem;
  if (!isObject(transect)) throw new SurveyFileError('the survey has no "TransectStyleComplexItem" section', where);
  const sub = transect.Items;
  if (!Array.isArray(sub) || sub.length === 0) {
    throw new SurveyFileError('the survey has no "TransectStyleComplexItem.Items": the expanded flight path is missing (open and save the plan in QGroundControl again)', where);
  }
  return sub.map((s, k) => {
    const subWhere = `${where} (survey), expanded item ${k + 1}`;
    if (!isObject(s) || s.type !== 'SimpleItem') throw new SurveyFileError('is not a SimpleItem', subWhere);
    return simpleItem(s, subWhere);
  });
}

function plannedHome(v: unknown): HomePosition | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new SurveyFileError('"plannedHomePosition" must be [latitude, longitude, altitude]', 'mission');
  }
  const [lat, lon, alt] = v as [number, number, number];
  // QGC writes [0, 0, 0] when no home was set.
  if (lat === 0 && lon === 0) return null;
  return { lat, lon, alt };
}

function latLonList(v: unknown, where: string): [number, number][] {
  if (!Array.isArray(v)) throw new SurveyFileError('is not a list of [latitude, longitude] points', where);
  return v.map((p, k) => {
    if (!Array.isArray(p) || p.length < 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number') {
      throw new SurveyFileError(`point ${k + 1} is not [latitude, longitude]`, where);
    }
    return [p[0], p[1]];
  });
}

function geoFence(fence: Json): MissionItem[] {
  const out: MissionItem[] = [];
  const polygon = (pts: [number, number][], inclusion: boolean) => {
    const command = inclusion ? MAV_CMD.NAV_FENCE_POLYGON_VERTEX_INCLUSION : MAV_CMD.NAV_FENCE_POLYGON_VERTEX_EXCLUSION;
    for (const [lat, lon] of pts) {
      out.push({ command, frame: MAV_FRAME.GLOBAL, param1: pts.length, param2: 0, param3: 0, param4: 0, lat, lon, alt: 0, autocontinue: true });
    }
  };
  // Version 1 files (older QGC) hold a single inclusion polygon.
  if (Array.isArray(fence.polygon)) polygon(latLonList(fence.polygon, 'geoFence.polygon'), true);
  (Array.isArray(fence.polygons) ? fence.polygons : []).forEach((p, i) => {
    const where = `geoFence polygon ${i + 1}`;
    if (!isObject(p)) throw new SurveyFileError('is not an object', where);
    polygon(latLonList(p.polygon, where), p.inclusion !== false);
  });
  (Array.isArray(fence.circles) ? fence.circles : []).forEach((c, i) => {
    const where = `geoFence circle ${i + 1}`;
    const circle = isObject(c) ? c.circle : undefined;
    if (!isObject(circle) || typeof circle.radius !== 'number') throw new SurveyFileError('needs "circle": {"center": [lat, lon], "radius": metres}', where);
    const [[lat, lon]] = latLonList([circle.center], where) as [[number, number]];
    const inclusion = (c as Json).inclusion !== false;
    out.push({
      command: inclusion ? MAV_CMD.NAV_FENCE_CIRCLE_INCLUSION : MAV_CMD.NAV_FENCE_CIRCLE_EXCLUSION, frame: MAV_FRAME.GLOBAL,
      param1: circle.radius, param2: 0, param3: 0, param4: 0, lat, lon, alt: 0, autocontinue: true,
    });
  });
  return out;
}

function rallyPoints(rally: Json): MissionItem[] {
  const points = Array.isArray(rally.points) ? rally.points : [];
  return points.map((p, i) => {
    if (!Array.isArray(p) || p.length !== 3 || !p.every((x) => typeof x === 'number')) {
      throw new SurveyFileError(`rally point ${i + 1} is not [latitude, longitude, altitude]`, 'rallyPoints');
    }
    const [lat, lon, alt] = p as [number, number, number];
    return { command: MAV_CMD.NAV_RALLY_POINT, frame: MAV_FRAME.GLOBAL_RELATIVE_ALT, param1: 0, param2: 0, param3: 0, param4: 0, lat, lon, alt, autocontinue: true };
  });
}
