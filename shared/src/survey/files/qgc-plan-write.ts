import { isPositionalNav, MAV_CMD, MAV_FRAME, type Mission, type MissionItem } from '../mission-items';

/**
 * Writes a mission as a QGroundControl .plan (the layout QGC itself saves: fileType "Plan",
 * version 1, mission version 2, geoFence and rallyPoints version 2). Every item is written as a
 * SimpleItem, which QGC opens and MAVSDK imports; survey lines are plain waypoints and camera
 * trigger commands, so no complex-item recalculation can move them. Geofence and rally points
 * are stored as QGC stores them, as geometry: their items' frame and autocontinue are not kept.
 */
export function writeQgcPlan(mission: Mission, groundStation = 'Sargs'): string {
  const plan = {
    fileType: 'Plan',
    geoFence: geoFence(mission.fence),
    groundStation,
    mission: {
      cruiseSpeed: mission.vehicle.cruiseSpeed,
      firmwareType: mission.vehicle.firmwareType,
      globalPlanAltitudeMode: 1,
      hoverSpeed: mission.vehicle.hoverSpeed,
      items: mission.items.map(simpleItem),
      plannedHomePosition: mission.home ? [mission.home.lat, mission.home.lon, mission.home.alt] : [0, 0, 0],
      vehicleType: mission.vehicle.vehicleType,
      version: 2,
    },
    rallyPoints: { points: mission.rally.map((r) => [r.lat, r.lon, r.alt]), version: 2 },
    version: 1,
  };
  return `${JSON.stringify(plan, null, 4)}\n`;
}

// JSON has no NaN; QGC writes "unset" parameters as null and reads null back as NaN.
const value = (v: number) => (Number.isFinite(v) ? v : null);

function simpleItem(item: MissionItem, index: number) {
  const out: Record<string, unknown> = {};
  // QGC's own files carry the altitude fields on positional items; it reads files without them too.
  if (isPositionalNav(item) && item.frame === MAV_FRAME.GLOBAL_RELATIVE_ALT) {
    Object.assign(out, { AMSLAltAboveTerrain: null, Altitude: value(item.alt), AltitudeMode: 1 });
  }
  return Object.assign(out, {
    autoContinue: item.autocontinue,
    command: item.command,
    doJumpId: index + 1,
    frame: item.frame,
    params: [item.param1, item.param2, item.param3, item.param4, item.lat, item.lon, item.alt].map(value),
    type: 'SimpleItem',
  });
}

function geoFence(fence: MissionItem[]) {
  const polygons: { inclusion: boolean; polygon: [number, number][]; version: number }[] = [];
  const circles: { circle: { center: [number, number]; radius: number }; inclusion: boolean; version: number }[] = [];
  for (let i = 0; i < fence.length;) {
    const item = fence[i] as MissionItem;
    const polygon = item.command === MAV_CMD.NAV_FENCE_POLYGON_VERTEX_INCLUSION || item.command === MAV_CMD.NAV_FENCE_POLYGON_VERTEX_EXCLUSION;
    if (polygon) {
      // A polygon is its vertex items in a row; param1 of each says how many there are.
      const count = Math.max(1, Math.round(item.param1) || 1);
      const vertices = fence.slice(i, i + count).filter((v) => v.command === item.command);
      polygons.push({ inclusion: item.command === MAV_CMD.NAV_FENCE_POLYGON_VERTEX_INCLUSION, polygon: vertices.map((v) => [v.lat, v.lon]), version: 1 });
      i += vertices.length;
    } else {
      if (item.command === MAV_CMD.NAV_FENCE_CIRCLE_INCLUSION || item.command === MAV_CMD.NAV_FENCE_CIRCLE_EXCLUSION) {
        circles.push({ circle: { center: [item.lat, item.lon], radius: item.param1 }, inclusion: item.command === MAV_CMD.NAV_FENCE_CIRCLE_INCLUSION, version: 1 });
      }
      i++;
    }
  }
  return { circles, polygons, version: 2 };
}
