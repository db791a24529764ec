import { readFileSync } from 'node:fs';
import path from 'node:path';
import { distance } from '@turf/turf';
import { common, minimal, MavLinkProtocolV2, type MavLinkData } from 'node-mavlink';
import { describe, expect, it } from 'vitest';
import { sealFrame } from './frame-check.ts';
import { findFlights, findFlightsInTlog, flightSummary, haversineM, type Flight } from './flights.ts';
import { fixturesDir } from '../../../test/support/paths';

const fixtures = path.join(fixturesDir, 'mavlink');
const VTOL = 'arduplane-vtol-sitl.tlog';
const COPTER = 'arducopter-auto-mission-2013-10-13-165851.tlog';
const load = (name: string): Buffer => readFileSync(path.join(fixtures, name));

// ---- The test's own reading of a tlog: nothing from tlog.ts, messages.ts or flights.ts. ----

interface Raw { timeUs: bigint; frame: Buffer; sysid: number; msgid: number; payload: Buffer }

/** Records of an undamaged tlog (or an undamaged prefix of one: stops at the first incomplete record). */
function rawRecords(buf: Buffer): Raw[] {
  const out: Raw[] = [];
  for (let at = 0; at + 11 <= buf.length;) {
    const timeUs = buf.readBigUInt64BE(at);
    const f = at + 8;
    const v2 = buf[f] === 0xfd;
    const len = buf[f + 1]!;
    const size = v2 ? len + 12 + ((buf[f + 2]! & 1) ? 13 : 0) : len + 8;
    if (f + size > buf.length) break;
    const frame = buf.subarray(f, f + size);
    const head = v2 ? 10 : 6;
    out.push({ timeUs, frame, sysid: frame[v2 ? 5 : 3]!, msgid: v2 ? frame.readUIntLE(7, 3) : frame[5]!, payload: frame.subarray(head, head + len) });
    at = f + size;
  }
  return out;
}

const byTime = (a: { timeUs: bigint }, b: { timeUs: bigint }): number => (a.timeUs < b.timeUs ? -1 : a.timeUs > b.timeUs ? 1 : 0);

const toTlog = (records: Array<{ timeUs: bigint; frame: Buffer }>): Buffer => Buffer.concat(records.flatMap((r) => {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(r.timeUs);
  return [ts, r.frame];
}));

interface Expected { sysid: number; startMs: number; endMs: number; maxHeightM: number; distanceM: number }

/**
 * Armed intervals of each system's autopilot from HEARTBEAT base_mode bit 128 (GCS type 6
 * and MAV_AUTOPILOT_INVALID left out), the highest GLOBAL_POSITION_INT relative_alt in
 * each, and a coarse path length (fixes 2 s apart). Intervals that never rise 2 m are
 * ground runs, not flights. A log ending while armed ends the interval at its last record.
 */
function expectedFlights(records: Raw[]): Expected[] {
  const open = new Map<number, Expected & { last?: [number, number]; lastBoot: number }>();
  const done: Expected[] = [];
  const lastMs = new Map<number, number>();
  for (const r of records) {
    const t = Number(r.timeUs) / 1000;
    lastMs.set(r.sysid, t);
    if (r.msgid === 0 && r.payload[4] !== 6 && r.payload[5] !== 8) {
      const armed = (r.payload[6]! & 128) !== 0;
      const cur = open.get(r.sysid);
      if (armed && !cur) open.set(r.sysid, { sysid: r.sysid, startMs: t, endMs: t, maxHeightM: -Infinity, distanceM: 0, lastBoot: -Infinity });
      if (!armed && cur) {
        done.push({ ...cur, endMs: t });
        open.delete(r.sysid);
      }
    }
    const cur = open.get(r.sysid);
    if (r.msgid === 33 && cur) {
      const p = Buffer.alloc(28);
      r.payload.copy(p);
      cur.maxHeightM = Math.max(cur.maxHeightM, p.readInt32LE(16) / 1000);
      const boot = p.readUInt32LE(0);
      if (boot - cur.lastBoot >= 2000) {
        const here: [number, number] = [p.readInt32LE(8) / 1e7, p.readInt32LE(4) / 1e7];
        if (cur.last) cur.distanceM += distance(cur.last, here, { units: 'meters' });
        cur.last = here;
        cur.lastBoot = boot;
      }
    }
  }
  for (const cur of open.values()) done.push({ ...cur, endMs: lastMs.get(cur.sysid)! });
  return done.filter((e) => e.maxHeightM >= 2).sort((a, b) => a.startMs - b.startMs);
}

function expectMatches(flights: Flight[], expected: Expected[]): void {
  expect(flights.map((f) => f.systemId)).toEqual(expected.map((e) => e.sysid));
  flights.forEach((f, i) => {
    const e = expected[i]!;
    expect(Math.abs(Date.parse(f.start) - e.startMs)).toBeLessThanOrEqual(1000);
    expect(Math.abs(f.durationS - (e.endMs - e.startMs) / 1000)).toBeLessThanOrEqual(1);
    expect(Math.abs(f.maxHeightM - e.maxHeightM)).toBeLessThanOrEqual(0.5);
  });
}

// ---------------------------------------------------------------------------------------------

describe('flights in the real logs', () => {
  for (const [name, realDurationS, realHeightM] of [[VTOL, 176.4, 63.3], [COPTER, 334.5, 100.8]] as const) {
    it(`${name}: one flight per armed interval with a takeoff, figures as computed from the raw frames`, () => {
      const buf = load(name);
      const expected = expectedFlights(rawRecords(buf));
      // The test's own reading agrees with what is known about the logs (fixtures README, GCS view).
      expect(expected).toHaveLength(1);
      expect((expected[0]!.endMs - expected[0]!.startMs) / 1000).toBeCloseTo(realDurationS, 0);
      expect(expected[0]!.maxHeightM).toBeCloseTo(realHeightM, 0);

      const { flights } = findFlightsInTlog(buf);
      expectMatches(flights, expected);
      const f = flights[0]!;
      expect(f.systemId).toBe(1);
      expect(f.autopilot).toBe('ardupilotmega');
      // Hover jitter is not distance, and no leg of the path is lost: close to the 2 s path.
      expect(f.distanceM).toBeGreaterThan(expected[0]!.distanceM * 0.97);
      expect(f.distanceM).toBeLessThan(expected[0]!.distanceM * 1.05);
      expect(Date.parse(f.takeoff)).toBeGreaterThanOrEqual(Date.parse(f.start));
      expect(Date.parse(f.landing)).toBeLessThanOrEqual(Date.parse(f.end));
      expect(f.track.length).toBeGreaterThan(400);
      expect(f.batteryUsedPercent).toBeNull(); // neither log reports a battery percentage
    });
  }

  it('names the vehicles and says how each flight began and ended', () => {
    const [plane] = findFlightsInTlog(load(VTOL)).flights;
    const [copter] = findFlightsInTlog(load(COPTER)).flights;
    expect(plane).toMatchObject({ vehicleType: 'fixed-wing', startedBy: 'log-start', endedBy: 'disarm' });
    expect(copter).toMatchObject({ vehicleType: 'quadrotor', startedBy: 'arm', endedBy: 'disarm', start: '2013-10-13T22:01:11.171Z', end: '2013-10-13T22:06:45.656Z' });
    expect(flightSummary(copter!)).not.toHaveProperty('track');
    // The SITL log begins mid-air: the user is told why its start is the log's start.
    expect(findFlightsInTlog(load(VTOL)).warnings.join('\n')).toMatch(/starts with system 1 already armed/);
    expect(findFlightsInTlog(load(COPTER)).warnings).toEqual([]);
  });

  it('the distance formula matches turf', () => {
    for (const [a, b] of [[[52.37, 4.89], [52.38, 4.9]], [[-35.36, 149.16], [-35.37, 149.17]], [[0, 179.9], [0.1, -179.9]]] as const) {
      expect(haversineM(a[0], a[1], b[0], b[1])).toBeCloseTo(distance([a[1], a[0]], [b[1], b[0]], { units: 'meters' }), 6);
    }
  });
});

// Deterministic "random" damage, so a failure can be reproduced.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('torn and noisy logs', () => {
  const copter = load(COPTER);
  const vtol = load(VTOL);
  const copterExpected = expectedFlights(rawRecords(copter));
  const vtolExpected = expectedFlights(rawRecords(vtol));

  it('junk inserted in 20 places: the same flight, and warnings about the junk', () => {
    const rand = prng(5);
    const cuts = Array.from({ length: 20 }, () => Math.floor(rand() * copter.length)).sort((a, b) => a - b);
    const parts: Buffer[] = [];
    let from = 0;
    for (const cut of cuts) {
      parts.push(copter.subarray(from, cut), Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256))));
      from = cut;
    }
    parts.push(copter.subarray(from));
    const { flights, warnings } = findFlightsInTlog(Buffer.concat(parts));
    expectMatches(flights, copterExpected);
    expect(warnings.some((w) => /junk/.test(w))).toBe(true);
  });

  it('a damaged record that still looks like one (time in 2090, bad CRC) does not break the flight', () => {
    const records = rawRecords(copter);
    const mid = records.findIndex((r) => Number(r.timeUs) / 1000 > copterExpected[0]!.startMs + 60_000);
    const damaged = Buffer.from(records[mid]!.frame);
    damaged[7] = (damaged[7]! + 1) & 0xff;
    const bogus = { timeUs: BigInt(Date.UTC(2090, 0, 1)) * 1000n, frame: damaged };
    const { flights, warnings } = findFlightsInTlog(toTlog([...records.slice(0, mid), bogus, ...records.slice(mid)]));
    expectMatches(flights, copterExpected);
    expect(warnings).toEqual([]);
  });

  it('cut off in mid-flight, in the middle of a record: the flight up to the cut, with warnings', () => {
    const cut = Math.floor(vtol.length * 0.6) + 3;
    const torn = vtol.subarray(0, cut);
    const expected = expectedFlights(rawRecords(torn));
    const { flights, warnings } = findFlightsInTlog(torn);
    expectMatches(flights, expected);
    expect(flights[0]!.endedBy).toBe('log-end');
    expect(flights[0]!.durationS).toBeLessThan(vtolExpected[0]!.endMs / 1000 - vtolExpected[0]!.startMs / 1000 - 30);
    expect(warnings.join('\n')).toMatch(/ends in the middle of a record/);
    expect(warnings.join('\n')).toMatch(/stops while system 1 is armed/);
  });

  it('two logs joined: both flights; the same log twice (time going back): the flight twice', () => {
    const joined = findFlightsInTlog(Buffer.concat([copter, vtol]));
    expectMatches(joined.flights, [...copterExpected, ...vtolExpected]);
    expect(joined.flights.map((f) => f.vehicleType)).toEqual(['quadrotor', 'fixed-wing']);

    const twice = findFlightsInTlog(Buffer.concat([vtol, vtol]));
    expectMatches(twice.flights, [...vtolExpected, ...vtolExpected]);
    expect(twice.warnings.join('\n')).toMatch(/time goes back 207\.\d s/);
  });

  it('the ground station clock restarted in mid-flight: two pieces that add up to the flight, with a warning', () => {
    const records = rawRecords(copter);
    const e = copterExpected[0]!;
    const splitMs = e.startMs + 120_000;
    const hour = 3_600_000_000n;
    const shifted = records.map((r) => (Number(r.timeUs) / 1000 >= splitMs ? { ...r, timeUs: r.timeUs - hour } : r));
    const { flights, warnings } = findFlightsInTlog(toTlog(shifted));
    expect(flights).toHaveLength(2);
    expect(flights.map((f) => [f.startedBy, f.endedBy])).toEqual([['log-start', 'disarm'], ['arm', 'log-end']]);
    const total = flights.reduce((s, f) => s + f.durationS, 0);
    expect(Math.abs(total - (e.endMs - e.startMs) / 1000)).toBeLessThanOrEqual(1);
    expect(Math.max(...flights.map((f) => f.maxHeightM))).toBeCloseTo(e.maxHeightM, 0);
    expect(warnings.join('\n')).toMatch(/time goes back 3599\.\d s/);
  });

  it('two vehicles in one log: flights per system id', () => {
    const copterRecords = rawRecords(copter);
    const shiftUs = BigInt(Math.round(copterExpected[0]!.startMs + 30_000 - vtolExpected[0]!.startMs)) * 1000n;
    // The plane becomes system 2 (CRC resealed) and flies while the copter does.
    const plane = rawRecords(vtol).map((r) => {
      const frame = Buffer.from(r.frame);
      frame[3] = 2;
      return { ...r, timeUs: r.timeUs + shiftUs, frame: sealFrame(frame), sysid: 2 };
    });
    const merged = [...copterRecords, ...plane].sort(byTime);
    const { flights } = findFlightsInTlog(toTlog(merged));
    expectMatches(flights, expectedFlights(merged));
    expect(flights.map((f) => `${f.systemId} ${f.vehicleType}`)).toEqual(['1 quadrotor', '2 fixed-wing']);
  });

  it('nothing usable: no flights, no exception', () => {
    const rand = prng(9);
    expect(findFlightsInTlog(Buffer.alloc(0))).toEqual({ flights: [], warnings: [] });
    const noise = Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(rand() * 256)));
    expect(findFlightsInTlog(noise).flights).toEqual([]);
    // Every record cut short: headers without their frames.
    expect(findFlightsInTlog(copter.subarray(0, 20)).flights).toEqual([]);
  });
});

// ---- Synthetic flights, for what the real logs do not show. ----

const T0 = Date.UTC(2025, 5, 1, 9, 0, 0);
const HOME = { lat: 52.0, lon: 5.0 };
const M_PER_DEG_LAT = 111_195;

class LogBuilder {
  readonly records: Array<{ timeUs: bigint; frame: Buffer }> = [];
  private readonly proto = new MavLinkProtocolV2(1, 1);
  private seq = 0;

  add(ms: number, msg: MavLinkData): void {
    this.records.push({ timeUs: BigInt(Math.round((T0 + ms) * 1000)), frame: this.proto.serialize(msg, this.seq++ & 0xff) });
  }

  heartbeat(ms: number, armed: boolean): void {
    this.add(ms, Object.assign(new minimal.Heartbeat(), { type: 2, autopilot: 3, baseMode: armed ? 0xd9 : 0x59, customMode: 5, systemStatus: 4, mavlinkVersion: 3 }));
  }

  /** A position northwards of home by `north` metres. */
  position(ms: number, north: number, heightM: number, speed = 0): void {
    this.add(ms, Object.assign(new common.GlobalPositionInt(), {
      timeBootMs: 100_000 + ms, lat: Math.round((HOME.lat + north / M_PER_DEG_LAT) * 1e7), lon: Math.round(HOME.lon * 1e7),
      alt: Math.round((10 + heightM) * 1000), relativeAlt: Math.round(heightM * 1000), vx: Math.round(speed * 100), vy: 0, vz: 0, hdg: 0,
    }));
  }

  battery(ms: number, sysPercent: number, batPercent?: number): void {
    this.add(ms, Object.assign(new common.SysStatus(), { voltageBattery: 16_000, currentBattery: 1200, batteryRemaining: sysPercent }));
    if (batPercent !== undefined) {
      this.add(ms, Object.assign(new common.BatteryStatus(), {
        id: 0, batteryRemaining: batPercent, currentConsumed: 100, energyConsumed: -1, temperature: 0x7fff, currentBattery: 1200,
        voltages: [16_000, ...Array<number>(9).fill(0xffff)], voltagesExt: [0, 0, 0, 0],
      }));
    }
  }

  /** Disarmed 5 s, armed from 5 s to 5 s + armedS, then disarmed; `fly` places the fixes (10 per second). */
  session(armedS: number, fly: (s: number) => { north: number; height: number; speed?: number }): this {
    const endMs = (10 + armedS) * 1000;
    for (let ms = 0; ms <= endMs; ms += 100) {
      if (ms % 1000 === 0) this.heartbeat(ms, ms >= 5000 && ms < 5000 + armedS * 1000);
      const at = fly(ms / 1000);
      this.position(ms, at.north, at.height, at.speed);
    }
    return this;
  }
}

describe('flight rules on built logs', () => {
  it('armed on the ground without taking off is not a flight', () => {
    const log = new LogBuilder().session(60, () => ({ north: 0, height: 0.4 }));
    expect(findFlights(log.records).flights).toEqual([]);
  });

  it('a hop: start at arming, end at disarming, takeoff and landing in between', () => {
    // Climbs at 1 m/s from 10 s to 20 s, hovers, descends from 40 s to 50 s; armed 5 s..65 s.
    const height = (s: number) => (s < 10 ? 0 : s < 20 ? s - 10 : s < 40 ? 10 : s < 50 ? 50 - s : 0);
    const { flights } = findFlights(new LogBuilder().session(60, (s) => ({ north: 0, height: height(s) })).records);
    expect(flights).toHaveLength(1);
    const f = flights[0]!;
    expect(f.start).toBe(new Date(T0 + 5000).toISOString());
    expect(f.end).toBe(new Date(T0 + 65_000).toISOString());
    expect(f.durationS).toBe(60);
    expect(f.takeoff).toBe(new Date(T0 + 12_000).toISOString());
    expect(f.landing).toBe(new Date(T0 + 48_000).toISOString());
    expect(f.maxHeightM).toBe(10);
    expect(f.distanceM).toBe(0);
  });

  it('hovering GPS jitter adds no distance, a straight leg counts in full, a glitch is left out', () => {
    const rand = prng(3);
    // ±0.7 m of noise around a hover at 20 m, then 300 m north at 10 m/s (60 s .. 90 s), then a hover.
    const north = (s: number) => (s < 60 ? 0 : s < 90 ? (s - 60) * 10 : 300);
    const log = new LogBuilder().session(120, (s) => ({ north: north(s) + (rand() - 0.5) * 1.4, height: s < 8 ? 0 : 20, speed: s >= 60 && s < 90 ? 10 : 0 }));
    const clean = findFlights(log.records).flights[0]!;
    expect(clean.distanceM).toBeGreaterThan(297);
    expect(clean.distanceM).toBeLessThan(306);
    expect(clean.maxGroundSpeedMps).toBe(10);

    // One fix 5 km off in the middle of the hover.
    const glitch = new LogBuilder().session(120, (s) => ({ north: s === 30 ? 5000 : north(s), height: s < 8 ? 0 : 20 }));
    const result = findFlights(glitch.records);
    expect(result.flights[0]!.distanceM).toBeCloseTo(300, -1);
    expect(result.flights[0]!.warnings.join('\n')).toMatch(/2 GPS position jump/);
  });

  it('battery used: BATTERY_STATUS of the main battery first, else SYS_STATUS', () => {
    const height = (s: number) => (s > 10 && s < 50 ? 15 : 0);
    const both = new LogBuilder();
    both.battery(1000, 97, 96); // after the first heartbeat: before it, the vehicle is not known yet
    both.session(60, (s) => ({ north: 0, height: height(s) }));
    both.battery(40_000, 80, 75);
    both.battery(70_000, 60, 50); // after disarming: not this flight's
    both.records.sort(byTime);
    expect(findFlights(both.records).flights[0]!.batteryUsedPercent).toBe(21);

    const sysOnly = new LogBuilder();
    sysOnly.session(60, (s) => ({ north: 0, height: height(s) }));
    sysOnly.battery(20_000, 90);
    sysOnly.battery(60_000, 72);
    sysOnly.records.sort(byTime);
    expect(findFlights(sysOnly.records).flights[0]!.batteryUsedPercent).toBe(18);
  });

  it('an autopilot reboot (boot time going back) ends the flight', () => {
    // Armed and at 12 m, then the boot time restarts at 3.1 s while the log goes on.
    const b = new LogBuilder();
    for (let ms = 0; ms <= 30_000; ms += 100) {
      if (ms % 1000 === 0) b.heartbeat(ms, ms >= 5000);
      b.position(ms, 0, ms > 8000 ? 12 : 0);
    }
    const later = new LogBuilder();
    for (let ms = 30_100; ms <= 40_000; ms += 100) {
      if (ms % 1000 === 0) later.heartbeat(ms, true);
      later.add(ms, Object.assign(new common.GlobalPositionInt(), { timeBootMs: ms - 27_000, lat: 520_000_000, lon: 50_000_000, relativeAlt: 12_000 }));
    }
    const result = findFlights([...b.records, ...later.records]);
    expect(result.warnings.join('\n')).toMatch(/restarted/);
    expect(result.flights.map((f) => [f.startedBy, f.endedBy])).toEqual([['arm', 'log-end'], ['log-start', 'log-end']]);
  });
});
