import type { LatLon } from '../geojson';
import { DEFAULT_VEHICLE, MAV_CMD, MAV_FRAME, missionItem, type Mission, type MissionItem, type VehicleInfo } from '../mission-items';
import type { WaypointKind } from './pass-geometry';

export interface SurveyWaypoint extends LatLon {
  kind: WaypointKind;
}

export interface MissionBuildOptions {
  home: LatLon;
  /** Home ground elevation above mean sea level, when known (QGC's plannedHomePosition). */
  homeAltitudeAmslM?: number;
  altitudeM: number;
  speedMps: number;
  triggerDistanceM: number;
  vehicle?: Partial<VehicleInfo>;
}

/**
 * The mission items of one flight, as QGC lays out a survey: take off over home, set the
 * survey speed, fly the waypoints at the survey altitude (relative to home), switch distance
 * triggering on where photos start (DO_SET_CAM_TRIGG_DIST with the trigger distance, and one
 * photo at once) and off where they end (distance 0), and return to launch.
 */
export function buildFlightMission(waypoints: SurveyWaypoint[], o: MissionBuildOptions): Mission {
  const rel = MAV_FRAME.GLOBAL_RELATIVE_ALT;
  const items: MissionItem[] = [
    missionItem(MAV_CMD.NAV_TAKEOFF, rel, { param4: NaN, lat: o.home.lat, lon: o.home.lon, alt: o.altitudeM }),
    // param1 1 = ground speed; param3 -1 = leave the throttle alone.
    missionItem(MAV_CMD.DO_CHANGE_SPEED, MAV_FRAME.MISSION, { param1: 1, param2: o.speedMps, param3: -1 }),
  ];
  const waypoint = (w: SurveyWaypoint) =>
    missionItem(MAV_CMD.NAV_WAYPOINT, rel, { param4: NaN, lat: w.lat, lon: w.lon, alt: o.altitudeM });
  const trigger = (distanceM: number) =>
    missionItem(MAV_CMD.DO_SET_CAM_TRIGG_DIST, MAV_FRAME.MISSION, { param1: distanceM, param3: 1 });
  for (const w of waypoints) {
    items.push(waypoint(w));
    if (w.kind === 'photo-start') items.push(trigger(o.triggerDistanceM));
    else if (w.kind === 'photo-end') items.push(trigger(0));
  }
  items.push(missionItem(MAV_CMD.NAV_RETURN_TO_LAUNCH, MAV_FRAME.MISSION));
  return {
    home: { lat: o.home.lat, lon: o.home.lon, alt: o.homeAltitudeAmslM ?? 0 },
    items,
    fence: [],
    rally: [],
    vehicle: { ...DEFAULT_VEHICLE, cruiseSpeed: o.speedMps, hoverSpeed: o.speedMps, ...o.vehicle },
  };
}
