// Finds the flights in a stream of timestamped MAVLink frames (a tlog) and sums each up
// for the logbook.
//
// What a flight is (DESIGN §4):
// - An armed interval of one vehicle's autopilot (HEARTBEAT base_mode & 128) in which it
//   took off: relative altitude ≥ takeoffHeightM or ground speed ≥ takeoffSpeedMps, held
//   for takeoffHoldS. Armed on the ground and disarmed again is not a flight.
// - start = the first armed heartbeat, end = the first disarmed heartbeat, durationS = end −
//   start: the pilot's logbook matches the autopilot's own arming log. takeoff / landing =
//   the first / last airborne moment in between. One armed interval is at most one flight,
//   however often the vehicle lands and takes off again in it.
// - A log that starts while armed starts the flight at its first armed heartbeat; a log
//   that ends (or breaks: see below) while armed ends it at the vehicle's last frame. Both
//   come with a warning and `startedBy` / `endedBy` say so.
// - The log breaks (a new session starts) where the tlog time goes back more than a second
//   (sessions joined, clock reset), where the autopilot's boot time goes back (it rebooted),
//   and where a vehicle is silent for more than maxGapS.
// - Per system id: several vehicles in one log each get their own flights.
// Values come from GLOBAL_POSITION_INT (position, relative altitude, velocity) and the
// battery percentage from BATTERY_STATUS (battery 0) or else SYS_STATUS.

import { decodeMessage, isArmed, isAutopilotHeartbeat, mavTypeName, autopilotName, type DecodedMessage, type GlobalPositionInt, type Heartbeat } from './messages';
import { readTlog, type TlogWarning } from './tlog';

export interface TrackPoint {
  /** Milliseconds since the Unix epoch (tlog time). */
  timeMs: number;
  lat: number;
  lon: number;
  /** Metres above mean sea level. */
  altMsl: number;
  /** Metres above home. */
  altRel: number;
  /** Metres per second over the ground. */
  groundSpeed: number;
}

export interface FlightSummary {
  systemId: number;
  /** MAV_TYPE name, e.g. "quadrotor", "fixed-wing". */
  vehicleType: string;
  /** MAV_AUTOPILOT name, e.g. "ardupilotmega". */
  autopilot: string;
  /** ISO-8601 UTC: arming (or the log's first armed heartbeat). */
  start: string;
  /** ISO-8601 UTC: disarming (or the vehicle's last frame before the log ends or breaks). */
  end: string;
  durationS: number;
  /** ISO-8601 UTC: first and last moment in the air. */
  takeoff: string;
  landing: string;
  /** Metres flown over the ground, from takeoff to disarm, GPS jitter filtered. */
  distanceM: number;
  /** Highest relative altitude (above home) while armed. */
  maxHeightM: number;
  maxGroundSpeedMps: number;
  /** Battery percentage at arming minus at disarming; null when the vehicle does not report it. */
  batteryUsedPercent: number | null;
  startedBy: 'arm' | 'log-start';
  endedBy: 'disarm' | 'log-end';
}

export interface Flight extends FlightSummary {
  /** Every valid position fix from start to end, for maps, plots and track export. */
  track: TrackPoint[];
  /** Doubts about this flight (log cut while armed, position jumps ignored). */
  warnings: string[];
}

export interface FlightsResult {
  flights: Flight[];
  /** Damage and oddities met on the way, for the user; never fatal. */
  warnings: string[];
}

export interface FindFlightsOptions {
  /** Relative altitude that counts as airborne (metres, default 2: above baro drift on the ground). */
  takeoffHeightM?: number;
  /** Ground speed that counts as airborne (m/s, default 5: far above GPS noise; a plane's takeoff roll). */
  takeoffSpeedMps?: number;
  /** How long airborne readings must last to be a takeoff (seconds, default 1). */
  takeoffHoldS?: number;
  /** Distance is counted in steps of at least this (metres, default 2), so hovering GPS jitter adds nothing. */
  minStepM?: number;
  /** A fix implying a faster move than this is a GPS glitch: the jump is not counted (m/s, default 150). */
  maxJumpSpeedMps?: number;
  /** A vehicle silent for longer ends its flight (seconds, default 300). */
  maxGapS?: number;
}

const DEFAULTS: Required<FindFlightsOptions> = {
  takeoffHeightM: 2, takeoffSpeedMps: 5, takeoffHoldS: 1, minStepM: 2, maxJumpSpeedMps: 150, maxGapS: 300,
};
/** tlog times may wobble a little (ground station scheduling); more than this backwards is a new session. */
const BACKWARDS_TOLERANCE_MS = 1000;
/**
 * Boot time going back this much means the autopilot restarted. Less is reordering: the
 * ArduPlane SITL fixture delivers one GLOBAL_POSITION_INT 1.2 s late, after newer ones.
 */
const REBOOT_BACKWARDS_MS = 10_000;
const PRIMARY_BATTERY = 0;

/**
 * Great-circle distance in metres on the mean Earth sphere (radius 6371008.8 m, the same as
 * turf's distance). Written out: importing @turf/turf for this costs ~0.6 s and ~28 MB.
 */
export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

const iso = (ms: number): string => new Date(ms).toISOString();
const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

interface BatteryReading { sys?: number; bat?: number }

interface ArmedInterval {
  startMs: number;
  startedBy: FlightSummary['startedBy'];
  battery: { start: BatteryReading; end: BatteryReading };
  track: TrackPoint[];
  maxHeight: number;
  maxSpeed: number;
  distance: number;
  /** Distance in the airborne run that may become the takeoff. */
  pending: number;
  anchor?: TrackPoint;
  lastFix?: { lat: number; lon: number; bootMs: number };
  jumps: number;
  runStartMs?: number;
  takeoffMs?: number;
  landingMs?: number;
}

interface Vehicle {
  sysid: number;
  compid: number;
  type: number;
  autopilot: number;
  lastMs: number;
  /** Seen disarmed in this session: an armed heartbeat after that is an arming. */
  seenDisarmed: boolean;
  lastBootMs?: number;
  battery: BatteryReading;
  armed?: ArmedInterval;
}

class FlightFinder {
  readonly flights: Flight[] = [];
  readonly warnings: string[] = [];
  private readonly vehicles = new Map<number, Vehicle>();
  private lastMs?: number;

  constructor(private readonly o: Required<FindFlightsOptions>) {}

  add(timeUs: bigint, frame: Buffer): void {
    // Only frames with a good CRC get this far: a record the tlog reader made out of junk
    // must not move the clock (and break a flight in two).
    const msg = decodeMessage(frame);
    if (msg === undefined) return;
    const t = Number(timeUs) / 1000;
    if (this.lastMs !== undefined && t < this.lastMs - BACKWARDS_TOLERANCE_MS) {
      this.warnings.push(`${iso(t)}: the log's time goes back ${round((this.lastMs - t) / 1000, 1)} s (from ${iso(this.lastMs)}): a new session starts here`);
      for (const v of this.vehicles.values()) this.endSession(v);
      this.vehicles.clear();
    }
    this.lastMs = t;
    if (msg.name === 'HEARTBEAT') this.heartbeat(msg, t);
    else this.telemetry(msg, t);
  }

  finish(): void {
    for (const v of this.vehicles.values()) this.endSession(v);
    this.vehicles.clear();
  }

  private heartbeat(hb: Heartbeat, t: number): void {
    if (!isAutopilotHeartbeat(hb)) return;
    let v = this.vehicles.get(hb.sysid);
    if (v !== undefined && v.compid !== hb.compid) return; // a second autopilot component: follow the first
    if (v !== undefined && (v.type !== hb.type || v.autopilot !== hb.autopilot)) {
      this.warnings.push(`${iso(t)}: system ${hb.sysid} was a ${mavTypeName(v.type)} (${autopilotName(v.autopilot)}) and is now a ${mavTypeName(hb.type)} (${autopilotName(hb.autopilot)}): taken as another vehicle`);
      this.endSession(v);
      v = undefined;
    }
    if (v === undefined) {
      v = { sysid: hb.sysid, compid: hb.compid, type: hb.type, autopilot: hb.autopilot, lastMs: t, seenDisarmed: false, battery: {} };
      this.vehicles.set(hb.sysid, v);
    }
    this.checkGap(v, t);
    v.lastMs = t;
    if (isArmed(hb)) {
      v.armed ??= this.arm(v, t);
    } else {
      if (v.armed) this.close(v, v.armed, t, 'disarm');
      v.armed = undefined;
      v.seenDisarmed = true;
    }
  }

  private telemetry(msg: Exclude<DecodedMessage, Heartbeat>, t: number): void {
    const v = this.vehicles.get(msg.sysid);
    if (v === undefined || v.compid !== msg.compid) return;
    this.checkGap(v, t);
    if (msg.name === 'GLOBAL_POSITION_INT') {
      if (v.lastBootMs !== undefined && msg.timeBootMs < v.lastBootMs - REBOOT_BACKWARDS_MS) {
        this.warnings.push(`${iso(t)}: system ${v.sysid} restarted (its boot time went back from ${v.lastBootMs} ms to ${msg.timeBootMs} ms)`);
        this.endSession(v);
      }
      // A fix that arrives after newer ones counts for the maxima but not for the track.
      const late = v.lastBootMs !== undefined && msg.timeBootMs < v.lastBootMs;
      v.lastBootMs = Math.max(msg.timeBootMs, v.lastBootMs ?? 0);
      if (v.armed) this.fix(v.armed, msg, t, late);
    } else if (msg.name === 'SYS_STATUS') {
      if (msg.batteryRemaining !== undefined) v.battery.sys = msg.batteryRemaining;
    } else if (msg.name === 'BATTERY_STATUS') {
      if (msg.id === PRIMARY_BATTERY && msg.batteryRemaining !== undefined) v.battery.bat = msg.batteryRemaining;
    }
    v.lastMs = t;
    if (v.armed) {
      // Start: the last reading before arming, or the first one after when there was none.
      const b = v.armed.battery;
      b.start = { sys: b.start.sys ?? v.battery.sys, bat: b.start.bat ?? v.battery.bat };
      b.end = { ...v.battery };
    }
  }

  private checkGap(v: Vehicle, t: number): void {
    if (t - v.lastMs <= this.o.maxGapS * 1000) return;
    if (v.armed) this.warnings.push(`${iso(v.lastMs)}: system ${v.sysid} was silent for ${round((t - v.lastMs) / 1000, 1)} s while armed: its flight is cut there`);
    this.endSession(v);
  }

  /** The log stops or breaks: an armed vehicle's flight ends at its last frame, and arming state is unknown again. */
  private endSession(v: Vehicle): void {
    if (v.armed) this.close(v, v.armed, v.lastMs, 'log-end');
    v.armed = undefined;
    v.seenDisarmed = false;
    v.lastBootMs = undefined;
  }

  private arm(v: Vehicle, t: number): ArmedInterval {
    const battery = { ...v.battery };
    return {
      startMs: t, startedBy: v.seenDisarmed ? 'arm' : 'log-start', battery: { start: battery, end: battery },
      track: [], maxHeight: -Infinity, maxSpeed: 0, distance: 0, pending: 0, jumps: 0,
    };
  }

  private fix(a: ArmedInterval, m: GlobalPositionInt, t: number, late: boolean): void {
    const speed = Math.hypot(m.vx, m.vy);
    a.maxHeight = Math.max(a.maxHeight, m.relativeAlt);
    a.maxSpeed = Math.max(a.maxSpeed, speed);
    if (late) return;
    const airborne = m.relativeAlt >= this.o.takeoffHeightM || speed >= this.o.takeoffSpeedMps;
    // No fix yet reads as 0,0 from ArduPilot; a track through the Gulf of Guinea helps nobody.
    const valid = !(m.lat === 0 && m.lon === 0) && Math.abs(m.lat) <= 90 && Math.abs(m.lon) <= 180;
    let step = 0;
    if (valid) {
      const p: TrackPoint = { timeMs: t, lat: m.lat, lon: m.lon, altMsl: m.altMsl, altRel: m.relativeAlt, groundSpeed: round(speed, 2) };
      a.track.push(p);
      step = this.step(a, p, m.timeBootMs);
    }
    if (a.takeoffMs !== undefined) a.distance += step;
    else if (airborne) a.pending += step;
    else a.pending = 0;
    if (!airborne) {
      a.runStartMs = undefined;
      return;
    }
    a.runStartMs ??= t;
    a.landingMs = t;
    if (a.takeoffMs === undefined && t - a.runStartMs >= this.o.takeoffHoldS * 1000) {
      a.takeoffMs = a.runStartMs;
      a.distance += a.pending;
    }
  }

  /** Distance to count for a new fix: whole steps of minStepM from the last counted point; glitches skipped. */
  private step(a: ArmedInterval, p: TrackPoint, bootMs: number): number {
    const prev = a.lastFix;
    a.lastFix = { lat: p.lat, lon: p.lon, bootMs };
    if (prev === undefined || a.anchor === undefined) {
      a.anchor = p;
      return 0;
    }
    // The autopilot's clock, not the log's: a link delivers frames in bursts.
    const dt = (bootMs - prev.bootMs) / 1000;
    const jump = haversineM(prev.lat, prev.lon, p.lat, p.lon);
    if (jump > this.o.maxJumpSpeedMps * Math.max(dt, 0.1)) {
      // Not counted, and counting restarts here: a lone outlier costs its two jumps, a real
      // relocation (GPS back after an outage) only the jump itself.
      a.jumps++;
      a.anchor = p;
      return 0;
    }
    const d = haversineM(a.anchor.lat, a.anchor.lon, p.lat, p.lon);
    if (d < this.o.minStepM) return 0;
    a.anchor = p;
    return d;
  }

  private close(v: Vehicle, a: ArmedInterval, endMs: number, endedBy: FlightSummary['endedBy']): void {
    if (a.takeoffMs === undefined || a.landingMs === undefined) return;
    const warnings: string[] = [];
    if (a.startedBy === 'log-start') warnings.push(`the log starts with system ${v.sysid} already armed: the flight's start is its first armed heartbeat (${iso(a.startMs)})`);
    if (endedBy === 'log-end') warnings.push(`the log stops while system ${v.sysid} is armed: the flight's end is its last frame (${iso(endMs)})`);
    if (a.jumps > 0) warnings.push(`${a.jumps} GPS position jump(s) faster than ${this.o.maxJumpSpeedMps} m/s left out of the distance`);
    this.warnings.push(...warnings.map((w) => `flight at ${iso(a.startMs)}: ${w}`));
    this.flights.push({
      systemId: v.sysid, vehicleType: mavTypeName(v.type), autopilot: autopilotName(v.autopilot),
      start: iso(a.startMs), end: iso(endMs), durationS: round((endMs - a.startMs) / 1000, 3),
      takeoff: iso(a.takeoffMs), landing: iso(a.landingMs),
      distanceM: round(a.distance, 1), maxHeightM: round(a.maxHeight, 2), maxGroundSpeedMps: round(a.maxSpeed, 2),
      batteryUsedPercent: batteryUsed(a.battery.start, a.battery.end),
      startedBy: a.startedBy, endedBy, track: a.track, warnings,
    });
  }
}

/** BATTERY_STATUS of the main battery when it gives both ends, else SYS_STATUS. */
function batteryUsed(start: BatteryReading, end: BatteryReading): number | null {
  for (const key of ['bat', 'sys'] as const) {
    const a = start[key];
    const b = end[key];
    // Remaining-capacity estimates can creep up a little as the voltage recovers: not negative use.
    if (a !== undefined && b !== undefined) return Math.max(0, a - b);
  }
  return null;
}

/** The flights in timestamped frames, in the order they end. Never throws on bad data. */
export function findFlights(records: Iterable<{ timeUs: bigint; frame: Buffer }>, opts: FindFlightsOptions = {}): FlightsResult {
  const finder = new FlightFinder({ ...DEFAULTS, ...opts });
  for (const r of records) finder.add(r.timeUs, r.frame);
  finder.finish();
  finder.flights.sort((a, b) => a.start.localeCompare(b.start) || a.systemId - b.systemId);
  return { flights: finder.flights, warnings: finder.warnings };
}

/** Damage reports kept per kind; a badly torn file would otherwise print thousands of lines. */
const MAX_DAMAGE_WARNINGS = 10;

/** The tlog reader's damage reports as sentences, at most MAX_DAMAGE_WARNINGS of them and a total. */
export function describeTlogDamage(damage: TlogWarning[]): string[] {
  const lines = damage.slice(0, MAX_DAMAGE_WARNINGS).map((w) => w.kind === 'junk'
    ? `skipped ${w.bytes} byte(s) of junk at offset ${w.offset}`
    : `the file ends in the middle of a record: ${w.bytes} byte(s) at offset ${w.offset} left out`);
  if (damage.length > MAX_DAMAGE_WARNINGS) {
    const bytes = damage.slice(MAX_DAMAGE_WARNINGS).reduce((n, w) => n + w.bytes, 0);
    lines.push(`… and ${damage.length - MAX_DAMAGE_WARNINGS} more damaged stretch(es), ${bytes} byte(s) in all`);
  }
  return lines;
}

/** findFlights over a whole tlog in memory, with the reader's damage reports among the warnings. */
export function findFlightsInTlog(buf: Buffer, opts: FindFlightsOptions = {}): FlightsResult {
  const damage: TlogWarning[] = [];
  const result = findFlights(readTlog(buf, { onWarning: (w) => damage.push(w) }), opts);
  return { flights: result.flights, warnings: [...describeTlogDamage(damage), ...result.warnings] };
}

/** A flight without its track and warnings: what the logbook lists and the CLI prints. */
export function flightSummary(f: Flight): FlightSummary {
  const { track: _track, warnings: _warnings, ...summary } = f;
  return summary;
}
