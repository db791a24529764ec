// Decodes the few MAVLink messages Sargs reads (vehicle state, position, battery) straight
// from the frame bytes. A full node-mavlink parse costs ~3x the CPU of routing a frame; the
// relay and the logbook touch only these six messages, so their fields are read by offset
// (offsets and lengths from the message definitions, checked against node-mavlink in the
// tests). Values come out in SI units, with the protocol's "unknown" sentinels as undefined.

import { scanFrame } from './frame-check';
import { MAVLINK_V1_START, MAVLINK_V2_START } from './tlog';

interface FromSystem {
  sysid: number;
  compid: number;
}

export interface Heartbeat extends FromSystem {
  name: 'HEARTBEAT';
  /** MAV_TYPE; see mavTypeName. */
  type: number;
  /** MAV_AUTOPILOT; see autopilotName. */
  autopilot: number;
  /** MAV_MODE_FLAG bits; 128 = armed. */
  baseMode: number;
  customMode: number;
  systemStatus: number;
  mavlinkVersion: number;
}

export interface GlobalPositionInt extends FromSystem {
  name: 'GLOBAL_POSITION_INT';
  timeBootMs: number;
  /** Degrees. */
  lat: number;
  lon: number;
  /** Metres above mean sea level. */
  altMsl: number;
  /** Metres above home. */
  relativeAlt: number;
  /** Metres per second, north / east / down. */
  vx: number;
  vy: number;
  vz: number;
  /** Degrees 0..360, undefined when unknown. */
  heading: number | undefined;
}

export interface SysStatus extends FromSystem {
  name: 'SYS_STATUS';
  /** Percent of the main loop time used. */
  load: number;
  /** Volts. */
  voltage: number | undefined;
  /** Amperes. */
  current: number | undefined;
  /** Percent. */
  batteryRemaining: number | undefined;
  /** Percent of link packets dropped. */
  dropRateComm: number;
  sensorsPresent: number;
  sensorsEnabled: number;
  sensorsHealth: number;
}

export interface GpsRawInt extends FromSystem {
  name: 'GPS_RAW_INT';
  /** Microseconds, since boot or the Unix epoch depending on the sender. */
  timeUs: bigint;
  /** GPS_FIX_TYPE: 0 no GPS, 1 no fix, 2 2D, 3 3D, 4 DGPS, 5 RTK float, 6 RTK fixed… */
  fixType: number;
  lat: number;
  lon: number;
  altMsl: number;
  /** Horizontal / vertical dilution of precision (unitless). */
  hdop: number | undefined;
  vdop: number | undefined;
  groundSpeed: number | undefined;
  /** Course over ground, degrees. */
  course: number | undefined;
  satellites: number | undefined;
}

export interface VfrHud extends FromSystem {
  name: 'VFR_HUD';
  airspeed: number;
  groundSpeed: number;
  /** Metres above mean sea level. */
  altMsl: number;
  climb: number;
  /** Degrees 0..360. */
  heading: number;
  /** Percent. */
  throttle: number;
}

export interface BatteryStatus extends FromSystem {
  name: 'BATTERY_STATUS';
  id: number;
  batteryFunction: number;
  batteryType: number;
  /** Milliampere-hours drawn so far (the unit pilots use). */
  consumedMah: number | undefined;
  /** Joules. */
  energyConsumed: number | undefined;
  /** Degrees Celsius. */
  temperature: number | undefined;
  /** Volts, the known cells 1..14 (or the whole pack when cells are not measured). */
  cellVoltages: number[];
  /** Volts, the sum of cellVoltages. */
  voltage: number | undefined;
  current: number | undefined;
  batteryRemaining: number | undefined;
  /** Seconds. */
  timeRemaining: number | undefined;
}

export type DecodedMessage = Heartbeat | GlobalPositionInt | SysStatus | GpsRawInt | VfrHud | BatteryStatus;

export const MSG_ID = {
  HEARTBEAT: 0, SYS_STATUS: 1, GPS_RAW_INT: 24, GLOBAL_POSITION_INT: 33, VFR_HUD: 74, BATTERY_STATUS: 147,
} as const;

const UINT16_MAX = 0xffff;
const INT16_MAX = 0x7fff;

const unlessU16Max = (v: number, scale: number): number | undefined => (v === UINT16_MAX ? undefined : v * scale);
const unlessMinus1 = (v: number, scale: number): number | undefined => (v === -1 ? undefined : v * scale);

type PayloadDecoder = (p: Buffer, from: FromSystem) => DecodedMessage;

interface MessageLayout {
  /** Payload bytes without extension fields: a v1 frame must carry at least these. */
  baseLength: number;
  /** Payload bytes with every extension field: a v2 frame may omit trailing zeros. */
  fullLength: number;
  decode: PayloadDecoder;
}

const LAYOUTS = new Map<number, MessageLayout>([
  [MSG_ID.HEARTBEAT, {
    baseLength: 9, fullLength: 9,
    decode: (p, from) => ({
      name: 'HEARTBEAT', ...from, customMode: p.readUInt32LE(0), type: p.readUInt8(4), autopilot: p.readUInt8(5),
      baseMode: p.readUInt8(6), systemStatus: p.readUInt8(7), mavlinkVersion: p.readUInt8(8),
    }),
  }],
  [MSG_ID.SYS_STATUS, {
    baseLength: 31, fullLength: 43,
    decode: (p, from) => ({
      name: 'SYS_STATUS', ...from,
      sensorsPresent: p.readUInt32LE(0), sensorsEnabled: p.readUInt32LE(4), sensorsHealth: p.readUInt32LE(8),
      load: p.readUInt16LE(12) / 10,
      voltage: unlessU16Max(p.readUInt16LE(14), 1e-3),
      current: unlessMinus1(p.readInt16LE(16), 1e-2),
      dropRateComm: p.readUInt16LE(18) / 100,
      batteryRemaining: unlessMinus1(p.readInt8(30), 1),
    }),
  }],
  [MSG_ID.GPS_RAW_INT, {
    baseLength: 30, fullLength: 52,
    decode: (p, from) => ({
      name: 'GPS_RAW_INT', ...from,
      timeUs: p.readBigUInt64LE(0), lat: p.readInt32LE(8) / 1e7, lon: p.readInt32LE(12) / 1e7, altMsl: p.readInt32LE(16) / 1e3,
      hdop: unlessU16Max(p.readUInt16LE(20), 1e-2), vdop: unlessU16Max(p.readUInt16LE(22), 1e-2),
      groundSpeed: unlessU16Max(p.readUInt16LE(24), 1e-2), course: unlessU16Max(p.readUInt16LE(26), 1e-2),
      fixType: p.readUInt8(28), satellites: p.readUInt8(29) === 255 ? undefined : p.readUInt8(29),
    }),
  }],
  [MSG_ID.GLOBAL_POSITION_INT, {
    baseLength: 28, fullLength: 28,
    decode: (p, from) => ({
      name: 'GLOBAL_POSITION_INT', ...from,
      timeBootMs: p.readUInt32LE(0), lat: p.readInt32LE(4) / 1e7, lon: p.readInt32LE(8) / 1e7,
      altMsl: p.readInt32LE(12) / 1e3, relativeAlt: p.readInt32LE(16) / 1e3,
      vx: p.readInt16LE(20) / 100, vy: p.readInt16LE(22) / 100, vz: p.readInt16LE(24) / 100,
      heading: unlessU16Max(p.readUInt16LE(26), 1e-2),
    }),
  }],
  [MSG_ID.VFR_HUD, {
    baseLength: 20, fullLength: 20,
    decode: (p, from) => ({
      name: 'VFR_HUD', ...from,
      airspeed: p.readFloatLE(0), groundSpeed: p.readFloatLE(4), altMsl: p.readFloatLE(8), climb: p.readFloatLE(12),
      heading: p.readInt16LE(16), throttle: p.readUInt16LE(18),
    }),
  }],
  [MSG_ID.BATTERY_STATUS, { baseLength: 36, fullLength: 54, decode: decodeBatteryStatus }],
]);

/** One zeroed buffer per message to pad short payloads into: decode reads every field before returning. */
const SCRATCH = new Map([...LAYOUTS].map(([id, layout]) => [id, Buffer.alloc(layout.fullLength)]));

function decodeBatteryStatus(p: Buffer, from: FromSystem): BatteryStatus {
  // Cells 1..10 use UINT16_MAX for "no such cell", the extension cells 11..14 use 0. A pack
  // above 65.534 V spreads over cells 0 and 1, so summing the known cells covers every case.
  const cells: number[] = [];
  for (let i = 0; i < 10; i++) {
    const mv = p.readUInt16LE(10 + 2 * i);
    if (mv !== UINT16_MAX) cells.push(mv / 1000);
  }
  for (let i = 0; i < 4; i++) {
    const mv = p.readUInt16LE(41 + 2 * i);
    if (mv !== 0) cells.push(mv / 1000);
  }
  const temperature = p.readInt16LE(8);
  const timeRemaining = p.readInt32LE(36);
  return {
    name: 'BATTERY_STATUS', ...from,
    consumedMah: unlessMinus1(p.readInt32LE(0), 1),
    energyConsumed: unlessMinus1(p.readInt32LE(4), 100),
    temperature: temperature === INT16_MAX ? undefined : temperature / 100,
    cellVoltages: cells,
    voltage: cells.length === 0 ? undefined : Math.round(cells.reduce((a, b) => a + b, 0) * 1000) / 1000,
    current: unlessMinus1(p.readInt16LE(30), 1e-2),
    id: p.readUInt8(32), batteryFunction: p.readUInt8(33), batteryType: p.readUInt8(34),
    batteryRemaining: unlessMinus1(p.readInt8(35), 1),
    // 0 means the autopilot gives no estimate.
    timeRemaining: timeRemaining > 0 ? timeRemaining : undefined,
  };
}

/**
 * Decodes one raw MAVLink v1/v2 frame (start byte to CRC, signature allowed) if it is one of
 * the messages above and its CRC (with CRC_EXTRA) is right; undefined for other messages and
 * for damaged frames. `crcChecked`: the caller has just judged this frame 'ok' with
 * frame-check's scanFrame (the relay does), so the CRC is not computed twice.
 */
export function decodeMessage(frame: Buffer, crcChecked = false): DecodedMessage | undefined {
  let headerLength: number;
  let msgid: number;
  let sysid: number;
  let compid: number;
  const start = frame[0];
  if (start === MAVLINK_V1_START && frame.length >= 8) {
    headerLength = 6;
    sysid = frame.readUInt8(3);
    compid = frame.readUInt8(4);
    msgid = frame.readUInt8(5);
  } else if (start === MAVLINK_V2_START && frame.length >= 12) {
    headerLength = 10;
    sysid = frame.readUInt8(5);
    compid = frame.readUInt8(6);
    msgid = frame.readUIntLE(7, 3);
  } else {
    return undefined;
  }
  const layout = LAYOUTS.get(msgid);
  if (layout === undefined) return undefined;
  if (!crcChecked) {
    const scan = scanFrame(frame, 0);
    if (scan.kind !== 'frame' || scan.verdict !== 'ok') return undefined;
  }
  const len = frame.readUInt8(1);
  if (headerLength + len + 2 > frame.length) return undefined;
  // v1 has no extensions and no truncation: a short v1 payload is a damaged frame.
  if (start === MAVLINK_V1_START && len < layout.baseLength) return undefined;
  let payload = frame.subarray(headerLength, headerLength + Math.min(len, layout.fullLength));
  if (payload.length < layout.fullLength) {
    // v2 drops trailing zero bytes, and v1 or older senders omit the extensions: pad back.
    const scratch = SCRATCH.get(msgid) as Buffer;
    scratch.fill(0, payload.copy(scratch));
    payload = scratch;
  }
  return layout.decode(payload, { sysid, compid });
}

// MAV_TYPE values 0..49 in order (mavlink-mappings 1.0.21 minimal.xml).
const MAV_TYPES = [
  'generic', 'fixed-wing', 'quadrotor', 'coaxial', 'helicopter', 'antenna-tracker', 'gcs', 'airship',
  'free-balloon', 'rocket', 'ground-rover', 'surface-boat', 'submarine', 'hexarotor', 'octorotor', 'tricopter',
  'flapping-wing', 'kite', 'onboard-controller', 'vtol-tailsitter-duorotor', 'vtol-tailsitter-quadrotor',
  'vtol-tiltrotor', 'vtol-fixedrotor', 'vtol-tailsitter', 'vtol-tiltwing', 'vtol-reserved5', 'gimbal', 'adsb',
  'parafoil', 'dodecarotor', 'camera', 'charging-station', 'flarm', 'servo', 'odid', 'decarotor', 'battery',
  'parachute', 'log', 'osd', 'imu', 'gps', 'winch', 'generic-multirotor', 'illuminator', 'spacecraft-orbiter',
  'ground-quadruped', 'vtol-gyrodyne', 'gripper', 'radio',
] as const;

const MAV_AUTOPILOTS = [
  'generic', 'reserved', 'slugs', 'ardupilotmega', 'openpilot', 'generic-waypoints-only',
  'generic-waypoints-and-simple-navigation-only', 'generic-mission-full', 'invalid', 'ppz', 'udb', 'fp', 'px4',
  'smaccmpilot', 'autoquad', 'armazila', 'aerob', 'asluav', 'smartap', 'airrails', 'reflex',
] as const;

const MAV_AUTOPILOT_INVALID = 8;
const MAV_AUTOPILOT_ARDUPILOTMEGA = 3;
const MAV_AUTOPILOT_PX4 = 12;
const MAV_MODE_FLAG_SAFETY_ARMED = 128;

/** MAV_TYPE name in lower case with dashes ("quadrotor", "fixed-wing"), or "type <n>" if unknown. */
export function mavTypeName(type: number): string {
  return MAV_TYPES[type] ?? `type ${type}`;
}

/** MAV_AUTOPILOT name in lower case with dashes ("ardupilotmega", "px4"), or "autopilot <n>". */
export function autopilotName(autopilot: number): string {
  return MAV_AUTOPILOTS[autopilot] ?? `autopilot ${autopilot}`;
}

// Components that send heartbeats but do not fly: ground stations, radios, companions, payloads.
const NOT_A_VEHICLE = new Set([
  'antenna-tracker', 'gcs', 'onboard-controller', 'gimbal', 'adsb', 'camera', 'charging-station', 'flarm',
  'servo', 'odid', 'battery', 'parachute', 'log', 'osd', 'imu', 'gps', 'winch', 'illuminator', 'gripper', 'radio',
]);

/** Whether a heartbeat comes from a vehicle's autopilot (the only ones that count for a vehicle's state). */
export function isAutopilotHeartbeat(hb: Heartbeat): boolean {
  return hb.autopilot !== MAV_AUTOPILOT_INVALID && !NOT_A_VEHICLE.has(mavTypeName(hb.type));
}

export function isArmed(hb: Heartbeat): boolean {
  return (hb.baseMode & MAV_MODE_FLAG_SAFETY_ARMED) !== 0;
}

// ArduPilot custom_mode numbers per firmware (ArduCopter/ArduPlane/Rover/ArduSub mode.h).
const COPTER_MODES: Record<number, string> = {
  0: 'STABILIZE', 1: 'ACRO', 2: 'ALT_HOLD', 3: 'AUTO', 4: 'GUIDED', 5: 'LOITER', 6: 'RTL', 7: 'CIRCLE', 9: 'LAND',
  11: 'DRIFT', 13: 'SPORT', 14: 'FLIP', 15: 'AUTOTUNE', 16: 'POSHOLD', 17: 'BRAKE', 18: 'THROW', 19: 'AVOID_ADSB',
  20: 'GUIDED_NOGPS', 21: 'SMART_RTL', 22: 'FLOWHOLD', 23: 'FOLLOW', 24: 'ZIGZAG', 25: 'SYSTEMID', 26: 'AUTOROTATE',
  27: 'AUTO_RTL', 28: 'TURTLE',
};
const PLANE_MODES: Record<number, string> = {
  0: 'MANUAL', 1: 'CIRCLE', 2: 'STABILIZE', 3: 'TRAINING', 4: 'ACRO', 5: 'FBWA', 6: 'FBWB', 7: 'CRUISE',
  8: 'AUTOTUNE', 10: 'AUTO', 11: 'RTL', 12: 'LOITER', 13: 'TAKEOFF', 14: 'AVOID_ADSB', 15: 'GUIDED',
  16: 'INITIALISING', 17: 'QSTABILIZE', 18: 'QHOVER', 19: 'QLOITER', 20: 'QLAND', 21: 'QRTL', 22: 'QAUTOTUNE',
  23: 'QACRO', 24: 'THERMAL', 25: 'LOITER_ALT_QLAND', 26: 'AUTOLAND',
};
const ROVER_MODES: Record<number, string> = {
  0: 'MANUAL', 1: 'ACRO', 3: 'STEERING', 4: 'HOLD', 5: 'LOITER', 6: 'FOLLOW', 7: 'SIMPLE', 8: 'DOCK', 9: 'CIRCLE',
  10: 'AUTO', 11: 'RTL', 12: 'SMART_RTL', 15: 'GUIDED', 16: 'INITIALISING',
};
const SUB_MODES: Record<number, string> = {
  0: 'STABILIZE', 1: 'ACRO', 2: 'ALT_HOLD', 3: 'AUTO', 4: 'GUIDED', 7: 'CIRCLE', 9: 'SURFACE', 16: 'POSHOLD',
  19: 'MANUAL', 20: 'MOTOR_DETECT', 21: 'SURFTRAK',
};

// Which ArduPilot firmware sends which MAV_TYPE (the firmware picks the mode numbering).
const ARDUPILOT_MODES_BY_TYPE: Record<string, Record<number, string>> = {
  'fixed-wing': PLANE_MODES,
  ...Object.fromEntries(['vtol-tailsitter-duorotor', 'vtol-tailsitter-quadrotor', 'vtol-tiltrotor',
    'vtol-fixedrotor', 'vtol-tailsitter', 'vtol-tiltwing'].map((t) => [t, PLANE_MODES])),
  ...Object.fromEntries(['quadrotor', 'coaxial', 'helicopter', 'hexarotor', 'octorotor', 'tricopter',
    'dodecarotor', 'decarotor', 'generic-multirotor'].map((t) => [t, COPTER_MODES])),
  'ground-rover': ROVER_MODES, 'surface-boat': ROVER_MODES, submarine: SUB_MODES,
};

// PX4 packs main mode in bits 16..23 and the AUTO sub mode in bits 24..31 (px4_custom_mode.h).
const PX4_MAIN_MODES: Record<number, string> = {
  1: 'MANUAL', 2: 'ALTCTL', 3: 'POSCTL', 5: 'ACRO', 6: 'OFFBOARD', 7: 'STABILIZED', 8: 'RATTITUDE',
};
const PX4_AUTO_MODES: Record<number, string> = {
  1: 'AUTO_READY', 2: 'AUTO_TAKEOFF', 3: 'AUTO_LOITER', 4: 'AUTO_MISSION', 5: 'AUTO_RTL', 6: 'AUTO_LAND',
  8: 'AUTO_FOLLOW_TARGET', 9: 'AUTO_PRECLAND',
};
const PX4_AUTO = 4;

/** The flight mode as a ground station names it ("AUTO", "QLOITER"), or "mode <custom_mode>". */
export function flightModeName(hb: Heartbeat): string {
  let name: string | undefined;
  if (hb.autopilot === MAV_AUTOPILOT_ARDUPILOTMEGA) {
    name = ARDUPILOT_MODES_BY_TYPE[mavTypeName(hb.type)]?.[hb.customMode];
  } else if (hb.autopilot === MAV_AUTOPILOT_PX4) {
    const main = (hb.customMode >>> 16) & 0xff;
    const sub = (hb.customMode >>> 24) & 0xff;
    name = main === PX4_AUTO ? PX4_AUTO_MODES[sub] ?? 'AUTO' : PX4_MAIN_MODES[main];
  }
  return name ?? `mode ${hb.customMode}`;
}
