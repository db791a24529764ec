/**
 * The one mission model every part shares: the planner writes it, the .plan and WPL readers
 * produce it, the exporters and the rules check read it, and the agent uploads it with the
 * MAVLink mission protocol. It mirrors MISSION_ITEM_INT closely so nothing is lost on the way
 * to the vehicle; keep it stable (other modules and the wire depend on it).
 */

/** MAV_CMD values the survey code writes or reads by name. Any other command passes through. */
export const MAV_CMD = {
  NAV_WAYPOINT: 16,
  NAV_LOITER_UNLIM: 17,
  NAV_LOITER_TURNS: 18,
  NAV_LOITER_TIME: 19,
  NAV_RETURN_TO_LAUNCH: 20,
  NAV_LAND: 21,
  NAV_TAKEOFF: 22,
  NAV_SPLINE_WAYPOINT: 82,
  NAV_VTOL_TAKEOFF: 84,
  NAV_VTOL_LAND: 85,
  DO_CHANGE_SPEED: 178,
  DO_SET_CAM_TRIGG_DIST: 206,
  DO_DIGICAM_CONTROL: 203,
  NAV_FENCE_POLYGON_VERTEX_INCLUSION: 5001,
  NAV_FENCE_POLYGON_VERTEX_EXCLUSION: 5002,
  NAV_FENCE_CIRCLE_INCLUSION: 5003,
  NAV_FENCE_CIRCLE_EXCLUSION: 5004,
  NAV_RALLY_POINT: 5100,
} as const;

/** MAV_FRAME values the survey code needs. */
export const MAV_FRAME = {
  GLOBAL: 0,
  MISSION: 2,
  GLOBAL_RELATIVE_ALT: 3,
  GLOBAL_INT: 5,
  GLOBAL_RELATIVE_ALT_INT: 6,
  GLOBAL_TERRAIN_ALT: 10,
  GLOBAL_TERRAIN_ALT_INT: 11,
} as const;

/** MAV_MISSION_TYPE: which of the vehicle's three lists an item belongs to. */
export const MAV_MISSION_TYPE = { MISSION: 0, FENCE: 1, RALLY: 2 } as const;

export interface MissionItem {
  command: number;
  frame: number;
  /** NaN where MAVLink means "unset / keep current" (QGC writes null in .plan files). */
  param1: number;
  param2: number;
  param3: number;
  param4: number;
  /**
   * Degrees in a global frame (see isGlobalFrame); in any other frame (MAV_FRAME_MISSION,
   * local frames) these carry params 5–7 as they are, unscaled.
   */
  lat: number;
  lon: number;
  /** Metres, in the item's frame (relative to home for frame 3, AMSL for frame 0). */
  alt: number;
  autocontinue: boolean;
}

export interface HomePosition {
  lat: number;
  lon: number;
  /** Metres above mean sea level; 0 when not known. */
  alt: number;
}

export interface Mission {
  /** Planned home (row 0 of a WPL file, plannedHomePosition of a .plan); not a mission item. */
  home: HomePosition | null;
  /** MAV_MISSION_TYPE_MISSION items in flight order, without the home (seq 0 on PX4, 1 on ArduPilot). */
  items: MissionItem[];
  /** MAV_MISSION_TYPE_FENCE items (polygon vertices and circles). */
  fence: MissionItem[];
  /** MAV_MISSION_TYPE_RALLY items. */
  rally: MissionItem[];
  /** What QGC stores with a plan; kept so an export → import loses nothing. */
  vehicle: VehicleInfo;
}

export interface VehicleInfo {
  /** MAV_AUTOPILOT: 12 PX4, 3 ArduPilot. */
  firmwareType: number;
  /** MAV_TYPE: 2 quadrotor, 1 fixed wing… */
  vehicleType: number;
  cruiseSpeed: number;
  hoverSpeed: number;
}

export const DEFAULT_VEHICLE: VehicleInfo = { firmwareType: 12, vehicleType: 2, cruiseSpeed: 15, hoverSpeed: 5 };

const GLOBAL_FRAMES: ReadonlySet<number> = new Set([0, 3, 5, 6, 10, 11]);

/** True when lat/lon are degrees (scaled by 1e7 on the wire), false when they are raw params 5/6. */
export function isGlobalFrame(frame: number): boolean {
  return GLOBAL_FRAMES.has(frame);
}

const NAV_WITH_POSITION: ReadonlySet<number> = new Set([16, 17, 18, 19, 21, 22, 31, 82, 84, 85]);

/** A navigation command that flies to (or at) its own coordinates. */
export function isPositionalNav(item: MissionItem): boolean {
  return NAV_WITH_POSITION.has(item.command) && isGlobalFrame(item.frame);
}

export function emptyMission(home: HomePosition | null = null): Mission {
  return { home, items: [], fence: [], rally: [], vehicle: { ...DEFAULT_VEHICLE } };
}

/** A mission item with NaN-free defaults, for code that builds items by hand. */
export function missionItem(command: number, frame: number, fields: Partial<Omit<MissionItem, 'command' | 'frame'>> = {}): MissionItem {
  return { command, frame, param1: 0, param2: 0, param3: 0, param4: 0, lat: 0, lon: 0, alt: 0, autocontinue: true, ...fields };
}

/** The fields of a MAVLink MISSION_ITEM_INT for one item (mission_type and target ids are the sender's). */
export interface MissionItemIntFields {
  seq: number;
  frame: number;
  command: number;
  current: number;
  autocontinue: number;
  param1: number;
  param2: number;
  param3: number;
  param4: number;
  x: number;
  y: number;
  z: number;
}

/** Encodes an item for MISSION_ITEM_INT: degrees × 1e7 in global frames, raw values elsewhere. */
export function toMissionItemInt(item: MissionItem, seq: number, current = false): MissionItemIntFields {
  const scale = isGlobalFrame(item.frame) ? 1e7 : 1;
  return {
    seq, frame: item.frame, command: item.command, current: current ? 1 : 0, autocontinue: item.autocontinue ? 1 : 0,
    param1: item.param1, param2: item.param2, param3: item.param3, param4: item.param4,
    x: Math.round(item.lat * scale), y: Math.round(item.lon * scale), z: item.alt,
  };
}

/** Decodes a MISSION_ITEM_INT (as received from a vehicle) into the shared model. */
export function fromMissionItemInt(m: Omit<MissionItemIntFields, 'seq' | 'current'>): MissionItem {
  const scale = isGlobalFrame(m.frame) ? 1e7 : 1;
  return {
    command: m.command, frame: m.frame, param1: m.param1, param2: m.param2, param3: m.param3, param4: m.param4,
    lat: m.x / scale, lon: m.y / scale, alt: m.z, autocontinue: m.autocontinue !== 0,
  };
}

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(MAV_CMD).map(([k, v]) => [v, k]));

/** "NAV_WAYPOINT (16)" for messages; the number alone for commands not named here. */
export function commandName(command: number): string {
  const name = NAMES[command];
  return name ? `${name} (${command})` : `command ${command}`;
}
