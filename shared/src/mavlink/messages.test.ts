import { readFileSync } from 'node:fs';
import path from 'node:path';
import { common, minimal, MavLinkProtocolV1, MavLinkProtocolV2, type MavLinkData, type MavLinkDataConstructor } from 'node-mavlink';
import { describe, expect, it } from 'vitest';
import {
  autopilotName, decodeMessage, flightModeName, isArmed, isAutopilotHeartbeat, mavTypeName, type DecodedMessage, type Heartbeat,
} from './messages.ts';
import { frameHeader, frameLength, parseTlog } from './tlog.ts';
import { fixturesDir } from '../../../test/support/paths';

const fixtures = path.join(fixturesDir, 'mavlink');
const load = (name: string): Buffer => readFileSync(path.join(fixtures, name));

const tlogFrames = (name: string): Buffer[] => parseTlog(load(name)).records.map((r) => r.frame);

/** Frames of a raw stream without timestamps (the v2 capture is clean: no resynchronising needed). */
function rawFrames(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < buf.length;) {
    const len = frameLength(buf, at);
    if (len === undefined || at + len > buf.length) throw new Error(`unexpected bytes at ${at}`);
    out.push(buf.subarray(at, at + len));
    at += len;
  }
  return out;
}

const CLASSES: Record<number, MavLinkDataConstructor<MavLinkData>> = {
  0: minimal.Heartbeat, 1: common.SysStatus, 24: common.GpsRawInt, 33: common.GlobalPositionInt, 74: common.VfrHud,
  147: common.BatteryStatus,
};

/** node-mavlink's reading of the same frame, mapped to our field names and units. */
function reference(frame: Buffer): Record<string, unknown> | undefined {
  const h = frameHeader(frame);
  const clazz = CLASSES[h.msgid];
  if (!clazz) return undefined;
  const protocol = h.version === 1 ? new MavLinkProtocolV1() : new MavLinkProtocolV2();
  const headerLength = h.version === 1 ? 6 : 10;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generated classes, fields read by name
  const d = protocol.data(frame.subarray(headerLength, headerLength + h.len), clazz) as any;
  const u16 = (v: number, s: number) => (v === 0xffff ? undefined : v * s);
  const m1 = (v: number, s: number) => (v === -1 ? undefined : v * s);
  const from = { sysid: h.sysid, compid: h.compid };
  switch (h.msgid) {
    case 0: return { name: 'HEARTBEAT', ...from, type: d.type, autopilot: d.autopilot, baseMode: d.baseMode, customMode: d.customMode, systemStatus: d.systemStatus, mavlinkVersion: d.mavlinkVersion };
    case 1: return { name: 'SYS_STATUS', ...from, voltage: u16(d.voltageBattery, 1e-3), current: m1(d.currentBattery, 1e-2), batteryRemaining: m1(d.batteryRemaining, 1), load: d.load / 10 };
    case 24: return { name: 'GPS_RAW_INT', ...from, timeUs: d.timeUsec, lat: d.lat / 1e7, lon: d.lon / 1e7, altMsl: d.alt / 1e3, fixType: d.fixType, groundSpeed: u16(d.vel, 1e-2), course: u16(d.cog, 1e-2), hdop: u16(d.eph, 1e-2), satellites: d.satellitesVisible === 255 ? undefined : d.satellitesVisible };
    case 33: return { name: 'GLOBAL_POSITION_INT', ...from, timeBootMs: d.timeBootMs, lat: d.lat / 1e7, lon: d.lon / 1e7, altMsl: d.alt / 1e3, relativeAlt: d.relativeAlt / 1e3, vx: d.vx / 100, vy: d.vy / 100, vz: d.vz / 100, heading: u16(d.hdg, 1e-2) };
    case 74: return { name: 'VFR_HUD', ...from, airspeed: d.airspeed, groundSpeed: d.groundspeed, altMsl: d.alt, climb: d.climb, heading: d.heading, throttle: d.throttle };
    default: return { name: 'BATTERY_STATUS', ...from, id: d.id, batteryRemaining: m1(d.batteryRemaining, 1), consumedMah: m1(d.currentConsumed, 1), current: m1(d.currentBattery, 1e-2) };
  }
}

function compareWithNodeMavlink(frames: Buffer[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const frame of frames) {
    const expected = reference(frame);
    const actual = decodeMessage(frame);
    if (expected === undefined) {
      expect(actual).toBeUndefined();
      continue;
    }
    expect(actual).toMatchObject(expected);
    counts.set(expected.name as string, (counts.get(expected.name as string) ?? 0) + 1);
  }
  return counts;
}

describe('decodeMessage agrees with node-mavlink on real logs', () => {
  it('ArduPlane VTOL SITL (v1): every frame of the six messages', () => {
    const counts = compareWithNodeMavlink(tlogFrames('arduplane-vtol-sitl.tlog'));
    expect(Object.fromEntries(counts)).toEqual({ HEARTBEAT: 199, SYS_STATUS: 796, GPS_RAW_INT: 799, GLOBAL_POSITION_INT: 807, VFR_HUD: 878 });
  });

  it('ArduCopter mission (v1): every frame of the six messages', () => {
    const counts = compareWithNodeMavlink(tlogFrames('arducopter-auto-mission-2013-10-13-165851.tlog'));
    expect(counts.get('HEARTBEAT')).toBe(1082);
    expect(counts.get('GLOBAL_POSITION_INT')).toBe(974);
  });

  it('raw MAVLink v2 capture, with truncated payloads', () => {
    const frames = rawFrames(load('mavlink-v2-3412-packets.bin'));
    expect(frames).toHaveLength(3412);
    const counts = compareWithNodeMavlink(frames);
    expect(counts.get('GLOBAL_POSITION_INT')).toBe(505);
  });
});

describe('decodeMessage on frames built here', () => {
  const v2 = (msg: MavLinkData) => new MavLinkProtocolV2(7, 1).serialize(msg, 0);

  it('pads a zero-truncated v2 payload and reads the values in SI units', () => {
    const gpi = new common.GlobalPositionInt();
    Object.assign(gpi, { timeBootMs: 1000, lat: 524_000_000, lon: 48_000_000, alt: 12_345, relativeAlt: 2_500, vx: -150, vy: 0, vz: 0, hdg: 0 });
    const frame = v2(gpi);
    // The serialiser drops hdg, vz and vy (zeros): the frame really is truncated.
    expect(frame.readUInt8(1)).toBeLessThan(28);
    expect(decodeMessage(frame)).toEqual({
      name: 'GLOBAL_POSITION_INT', sysid: 7, compid: 1, timeBootMs: 1000, lat: 52.4, lon: 4.8, altMsl: 12.345, relativeAlt: 2.5,
      vx: -1.5, vy: 0, vz: 0, heading: 0,
    });
  });

  it('turns "unknown" sentinels into undefined', () => {
    const sys = new common.SysStatus();
    Object.assign(sys, { voltageBattery: 0xffff, currentBattery: -1, batteryRemaining: -1 });
    expect(decodeMessage(v2(sys))).toMatchObject({ voltage: undefined, current: undefined, batteryRemaining: undefined });

    const bat = new common.BatteryStatus();
    Object.assign(bat, {
      currentConsumed: -1, energyConsumed: -1, temperature: 0x7fff, currentBattery: 1550, batteryRemaining: 64,
      voltages: [4100, 4050, 4000, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff], voltagesExt: [0, 0, 0, 0],
    });
    expect(decodeMessage(v2(bat))).toMatchObject({
      name: 'BATTERY_STATUS', consumedMah: undefined, energyConsumed: undefined, temperature: undefined,
      cellVoltages: [4.1, 4.05, 4], voltage: 12.15, current: 15.5, batteryRemaining: 64, timeRemaining: undefined,
    });

    const gps = new common.GpsRawInt();
    Object.assign(gps, { timeUsec: 5n, eph: 0xffff, epv: 0xffff, vel: 0xffff, cog: 0xffff, satellitesVisible: 255, fixType: 1 });
    expect(decodeMessage(v2(gps))).toMatchObject({ hdop: undefined, vdop: undefined, groundSpeed: undefined, course: undefined, satellites: undefined, fixType: 1 });
  });

  it('reads v1 frames and refuses damaged ones (bad CRC, shorter than their header says)', () => {
    const hb = new minimal.Heartbeat();
    Object.assign(hb, { type: 2, autopilot: 3, baseMode: 0x81 + 0x10, customMode: 3, systemStatus: 4, mavlinkVersion: 3 });
    const frame = new MavLinkProtocolV1(1, 1).serialize(hb, 9);
    expect(decodeMessage(frame)).toMatchObject({ name: 'HEARTBEAT', sysid: 1, compid: 1, type: 2, autopilot: 3, customMode: 3 });
    expect(decodeMessage(frame.subarray(0, frame.length - 3))).toBeUndefined();
    const flipped = Buffer.from(frame);
    flipped[8] = (flipped[8] as number) ^ 0x04;
    expect(decodeMessage(flipped)).toBeUndefined();
    // A caller that has already checked the CRC (the relay) can skip the second check.
    expect(decodeMessage(flipped, true)).toMatchObject({ name: 'HEARTBEAT' });
    expect(decodeMessage(Buffer.from([0x55, 1, 2, 3]))).toBeUndefined();
    expect(decodeMessage(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('names and vehicle state', () => {
  const hb = (over: Partial<Heartbeat>): Heartbeat => ({
    name: 'HEARTBEAT', sysid: 1, compid: 1, type: 2, autopilot: 3, baseMode: 0, customMode: 0, systemStatus: 4, mavlinkVersion: 3, ...over,
  });
  const dashed = (enumName: string) => enumName.toLowerCase().replace(/_/g, '-');

  it('names every MAV_TYPE and MAV_AUTOPILOT like the MAVLink definitions do', () => {
    for (const [name, value] of Object.entries(minimal.MavType)) {
      if (typeof value === 'number') expect(mavTypeName(value)).toBe(dashed(name));
    }
    for (const [name, value] of Object.entries(minimal.MavAutopilot)) {
      if (typeof value === 'number') expect(autopilotName(value)).toBe(dashed(name));
    }
    expect(mavTypeName(200)).toBe('type 200');
  });

  it('counts only heartbeats of flying autopilots', () => {
    expect(isAutopilotHeartbeat(hb({}))).toBe(true);
    expect(isAutopilotHeartbeat(hb({ type: 6, autopilot: 8 }))).toBe(false); // ground station
    expect(isAutopilotHeartbeat(hb({ type: 2, autopilot: 8 }))).toBe(false); // MAV_AUTOPILOT_INVALID
    for (const type of [18, 26, 27, 30, 49]) expect(isAutopilotHeartbeat(hb({ type }))).toBe(false); // companion, gimbal, ADSB, camera, radio
  });

  it('reads armed state and ArduPilot / PX4 flight modes', () => {
    expect(isArmed(hb({ baseMode: 0x51 }))).toBe(false);
    expect(isArmed(hb({ baseMode: 0xd1 }))).toBe(true);
    expect(flightModeName(hb({ type: 2, customMode: 3 }))).toBe('AUTO');
    expect(flightModeName(hb({ type: 1, customMode: 10 }))).toBe('AUTO');
    expect(flightModeName(hb({ type: 21, customMode: 19 }))).toBe('QLOITER');
    expect(flightModeName(hb({ type: 10, customMode: 4 }))).toBe('HOLD');
    expect(flightModeName(hb({ type: 2, customMode: 99 }))).toBe('mode 99');
    expect(flightModeName(hb({ autopilot: 12, customMode: (4 << 16) | (4 << 24) }))).toBe('AUTO_MISSION');
    expect(flightModeName(hb({ autopilot: 12, customMode: 3 << 16 }))).toBe('POSCTL');
    expect(flightModeName(hb({ autopilot: 0, customMode: 5 }))).toBe('mode 5');
  });

  it('follows the modes of the real logs', () => {
    const modes = (name: string) => {
      const seen: string[] = [];
      for (const frame of tlogFrames(name)) {
        const m: DecodedMessage | undefined = decodeMessage(frame);
        if (m?.name !== 'HEARTBEAT' || !isAutopilotHeartbeat(m)) continue;
        const mode = flightModeName(m);
        if (seen.at(-1) !== mode) seen.push(mode);
      }
      return seen;
    };
    expect(modes('arduplane-vtol-sitl.tlog')).toEqual(['QLOITER', 'CIRCLE', 'GUIDED', 'QLAND']);
    expect(modes('arducopter-auto-mission-2013-10-13-165851.tlog')).toEqual(['STABILIZE', 'LOITER', 'AUTO', 'LOITER', 'STABILIZE', 'LOITER', 'STABILIZE']);
  });
});
