import { decodeMessage, isAutopilotHeartbeat } from '@sargs/shared/mavlink/messages';
import { VehicleConflictEvent, VehicleLinkEvent, VehicleList } from '@sargs/shared/protocol/drones';
import { Value } from '@sinclair/typebox/value';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { TelemetryDecimator } from './telemetry';
import {
  COPTER, fixtureFrames, globalPosition, heartbeat, MAV_AUTOPILOT, MAV_TYPE, received, VTOL,
} from '../../../test/support/drone-frames';
import { VehicleTracker } from './vehicles';

const log = pino({ level: 'silent' });

function setup() {
  let now = 0;
  const clock = { now: () => now };
  const events: Array<{ kind: string; data: Record<string, unknown>; atMs: number }> = [];
  const tracker = new VehicleTracker({
    clock, log, emitEvent: async (kind, data) => { events.push({ kind, data, atMs: now }); return events.length; },
  });
  const sent: VehicleList[] = [];
  const telemetry = new TelemetryDecimator({ clock, log, vehicles: tracker, sendLive: (l) => { sent.push(l); return true; } });
  tracker.addConsumer(telemetry);
  const feed = (raw: Buffer, atMs: number, endpoint = 'radio') => {
    now = atMs;
    tracker.handle(received(raw, atMs, endpoint));
  };
  const check = (at: number) => {
    now = at;
    tracker.checkLinks(at);
  };
  const linkEvents = () => events.filter((e) => e.kind === 'vehicle.link').map((e) => ({ state: e.data.state, atMs: e.atMs }));
  return { clock, tracker, telemetry, sent, events, feed, check, linkEvents };
}

describe('vehicle tracker', () => {
  it('reports the link lost 3.5 s after the last autopilot heartbeat, not before, and back on the next one', () => {
    const t = setup();
    for (let s = 0; s <= 4; s++) t.feed(heartbeat({ seq: s }), 10_000 + s * 1000);
    for (let at = 14_000; at < 17_500; at += 100) t.check(at);
    expect(t.linkEvents()).toEqual([]);
    expect(t.tracker.vehicles()[0]?.linkUp).toBe(true);
    t.check(17_500);
    t.check(18_000);
    expect(t.linkEvents()).toEqual([{ state: 'lost', atMs: 17_500 }]);
    const lost = t.events.find((e) => e.kind === 'vehicle.link')!.data;
    expect(Value.Check(VehicleLinkEvent, lost)).toBe(true);
    expect(lost).toMatchObject({ vehicleKey: 'sys1', systemId: 1, autopilot: 'ardupilotmega', vehicleType: 'quadrotor', lastHeartbeatAt: new Date(14_000).toISOString() });
    expect(t.tracker.vehicles()[0]?.linkUp).toBe(false);

    t.feed(heartbeat({ seq: 9 }), 30_000);
    expect(t.linkEvents()).toEqual([{ state: 'lost', atMs: 17_500 }, { state: 'back', atMs: 30_000 }]);
    expect(t.tracker.vehicles()).toHaveLength(1);
  });

  it('ignores heartbeats from ground stations, radios and companion computers', () => {
    const t = setup();
    t.feed(heartbeat({ seq: 0 }), 0);
    for (let at = 500, n = 1; at < 10_000; at += 500, n++) {
      t.feed(heartbeat({ sysid: 255, compid: 190, type: MAV_TYPE.GCS, autopilot: MAV_AUTOPILOT.INVALID, seq: n }), at);
      t.feed(heartbeat({ sysid: 1, compid: 68, type: MAV_TYPE.RADIO, autopilot: MAV_AUTOPILOT.INVALID, seq: n }), at);
      t.feed(heartbeat({ sysid: 1, compid: 191, type: MAV_TYPE.ONBOARD_CONTROLLER, autopilot: MAV_AUTOPILOT.ARDUPILOTMEGA, seq: n }), at);
      t.check(at);
    }
    expect(t.tracker.vehicles().map((v) => v.key)).toEqual(['sys1']);
    expect(t.linkEvents()).toEqual([{ state: 'lost', atMs: 3500 }]);
  });

  it('keeps a different vehicle type on the same system id apart and flags both', () => {
    const t = setup();
    for (let s = 0; s < 5; s++) {
      t.feed(heartbeat({ seq: 2 * s, type: MAV_TYPE.QUADROTOR }), s * 1000, 'radio-a');
      t.feed(globalPosition({ seq: 2 * s + 1, lat: 52.1, lon: 5.1 }), s * 1000 + 1, 'radio-a');
      t.feed(heartbeat({ seq: 200 + 2 * s, type: MAV_TYPE.FIXED_WING }), s * 1000 + 500, 'radio-b');
      t.feed(globalPosition({ seq: 201 + 2 * s, lat: 48.8, lon: 2.3 }), s * 1000 + 501, 'radio-b');
    }
    const vs = t.tracker.vehicles();
    expect(vs.map((v) => [v.key, v.typeName, v.conflict])).toEqual([['sys1', 'quadrotor', true], ['sys1-2', 'fixed-wing', true]]);
    const conflicts = t.events.filter((e) => e.kind === 'vehicle.conflict');
    expect(conflicts).toHaveLength(1);
    expect(Value.Check(VehicleConflictEvent, conflicts[0]!.data)).toBe(true);
    t.telemetry.pushLive();
    const live = t.sent.at(-1)!.vehicles;
    expect(live.map((v) => [v.vehicleKey, v.lat, v.conflict])).toEqual([['sys1', 52.1, true], ['sys1-2', 48.8, true]]);
  });

  it('splits two identical autopilots on one system id by their sequence numbers, and clears the flag when one goes', () => {
    const t = setup();
    // Two quadcopters, both sysid 1 / compid 1, 50 frames/s each on their own radio.
    let seqA = 0;
    let seqB = 137;
    for (let ms = 0; ms < 6000; ms += 20) {
      const a = ms % 1000 === 0 ? heartbeat({ seq: seqA++ }) : globalPosition({ seq: seqA++, lat: 52.1, lon: 5.1 });
      t.feed(a, ms, 'radio-a');
      const b = ms % 1000 === 500 ? heartbeat({ seq: seqB++ }) : globalPosition({ seq: seqB++, lat: 48.8, lon: 2.3 });
      t.feed(b, ms + 10, 'radio-b');
    }
    expect(t.tracker.vehicles().map((v) => [v.key, v.conflict])).toEqual([['sys1', true], ['sys1-2', true]]);
    expect(t.events.filter((e) => e.kind === 'vehicle.conflict')).toHaveLength(1);
    t.telemetry.pushLive();
    const endpointOf = new Map(t.tracker.vehicles().map((v) => [v.key, v.endpoint]));
    expect(t.sent.at(-1)!.vehicles.map((v) => [endpointOf.get(v.vehicleKey), v.lat]).sort())
      .toEqual([['radio-a', 52.1], ['radio-b', 48.8]]);

    // Vehicle B stops: after 3.5 s its link is lost and A is no longer in conflict.
    for (let ms = 6000; ms < 10_000; ms += 20) {
      t.feed(ms % 1000 === 0 ? heartbeat({ seq: seqA++ }) : globalPosition({ seq: seqA++, lat: 52.1, lon: 5.1 }), ms, 'radio-a');
      t.check(ms);
    }
    const vs = t.tracker.vehicles();
    expect(vs.filter((v) => v.linkUp).map((v) => v.conflict)).toEqual([false]);
    expect(vs.filter((v) => !v.linkUp)).toHaveLength(1);
  });

  it('treats one vehicle heard through two radios (duplicates, one path late) as one vehicle with a good link', () => {
    const t = setup();
    const sent: Array<[Buffer, number]> = [];
    for (let i = 0, ms = 0; ms < 5000; i++, ms += 20) {
      const f = ms % 1000 === 0 ? heartbeat({ seq: i }) : globalPosition({ seq: i, lat: 52, lon: 5 });
      sent.push([f, ms]);
      t.feed(f, ms, 'radio-a');
      const late = sent[sent.length - 6];
      if (late) t.feed(late[0], ms + 5, 'radio-b');
    }
    expect(t.tracker.vehicles().map((v) => [v.key, v.conflict])).toEqual([['sys1', false]]);
    expect(t.events.filter((e) => e.kind === 'vehicle.conflict')).toEqual([]);
    expect(t.tracker.vehicles()[0]!.seq.qualityPercent(5000)).toBe(100);
  });

  it('measures link quality from sequence gaps', () => {
    const t = setup();
    for (let i = 0; i < 400; i++) {
      if (i % 4 === 3) continue; // a quarter of the frames never arrive
      t.feed(i % 50 === 0 ? heartbeat({ seq: i }) : globalPosition({ seq: i, lat: 52, lon: 5 }), i * 20);
    }
    t.telemetry.pushLive();
    expect(t.sent.at(-1)!.vehicles[0]!.linkQualityPercent).toBeCloseTo(75, -1);
  });

  it.each([COPTER, VTOL])('tracks the real flight in %s as one vehicle, losing it exactly where heartbeats paused 3.5 s or more', (name) => {
    const t = setup();
    const { frames } = fixtureFrames(name);
    const hbTimes = frames.filter((f) => {
      const m = f.header.msgid === 0 ? decodeMessage(f.raw) : undefined;
      return m?.name === 'HEARTBEAT' && isAutopilotHeartbeat(m);
    }).map((f) => f.atMs);
    // Pauses between autopilot heartbeats, and the silence from the last one to the end of the log.
    const gaps = [...hbTimes.slice(1), frames.at(-1)!.atMs].map((at, i) => at - hbTimes[i]!);
    const surelyLost = gaps.filter((g) => g >= 3750).length; // the check runs every 250 ms
    const maybeLost = gaps.filter((g) => g >= 3500).length;
    let nextCheck = frames[0]!.atMs;
    for (const f of frames) {
      for (; nextCheck <= f.atMs; nextCheck += 250) t.check(nextCheck);
      t.feed(f.raw, f.atMs, f.endpoint);
    }
    expect(t.tracker.vehicles().map((v) => v.key)).toEqual(['sys1']);
    expect(t.events.filter((e) => e.kind === 'vehicle.conflict')).toEqual([]);
    const lost = t.linkEvents().filter((e) => e.state === 'lost');
    expect(lost.length).toBeGreaterThanOrEqual(surelyLost);
    expect(lost.length).toBeLessThanOrEqual(maybeLost);
    expect(t.linkEvents().filter((e) => e.state === 'back').length).toBeGreaterThanOrEqual(lost.length - 1);
    expect(lost.length).toBeGreaterThan(0); // the SITL log pauses 6 s; the copter's heartbeats end a minute before the log
  });

  it('with its own loop and the real clock, reports the loss between 3.5 and 5 s after the heartbeats stop', async () => {
    const events: Array<{ state: unknown; at: number }> = [];
    const tracker = new VehicleTracker({
      clock: { now: () => Date.now() }, log,
      emitEvent: async (_kind, data) => { events.push({ state: data.state, at: Date.now() }); return 0; },
    });
    tracker.start();
    try {
      const last = Date.now();
      tracker.handle(received(heartbeat({ seq: 1 }), last));
      await expect.poll(() => events.length, { timeout: 6000 }).toBe(1);
      expect(events[0]!.state).toBe('lost');
      expect(events[0]!.at - last).toBeGreaterThanOrEqual(3500);
      expect(events[0]!.at - last).toBeLessThan(5000);
      tracker.handle(received(heartbeat({ seq: 2 }), Date.now()));
      expect(events.map((e) => e.state)).toEqual(['lost', 'back']);
    } finally {
      await tracker.stop();
    }
  });
});

describe('live vehicle telemetry', () => {
  it('tells the hub a link was lost though no frame arrives to carry the news, and sends nothing when nothing changed', async () => {
    const t = setup();
    const telemetry = new TelemetryDecimator({ clock: t.clock, log, vehicles: t.tracker, sendLive: (l) => { t.sent.push(l); return true; }, settings: { intervalMs: 60_000 } });
    telemetry.start();
    try {
      t.feed(heartbeat({ seq: 0, armed: true }), 1000);
      t.tracker.addConsumer(telemetry);
      t.feed(globalPosition({ seq: 1, lat: 52, lon: 5, relAltM: 30 }), 1100);
      telemetry.tick();
      expect(t.sent.at(-1)!.vehicles[0]).toMatchObject({ vehicleKey: 'sys1', linkUp: true, armed: true, altRelM: 30 });
      const count = t.sent.length;
      telemetry.tick();
      expect(t.sent.length).toBe(count);
      t.check(4500);
      telemetry.tick();
      expect(t.sent.length).toBe(count + 1);
      expect(t.sent.at(-1)!.vehicles[0]).toMatchObject({ vehicleKey: 'sys1', linkUp: false, altRelM: 30 });
    } finally {
      await telemetry.stop();
    }
  });

  it('carries what the real flight says, valid against the wire schema, at every point of the flight', () => {
    const t = setup();
    const { frames } = fixtureFrames(COPTER);
    const t0 = frames[0]!.atMs;
    const last: { position?: Extract<ReturnType<typeof decodeMessage>, { name: 'GLOBAL_POSITION_INT' }>; gps?: Extract<ReturnType<typeof decodeMessage>, { name: 'GPS_RAW_INT' }>; status?: Extract<ReturnType<typeof decodeMessage>, { name: 'SYS_STATUS' }>; armed?: boolean } = {};
    let checked = 0;
    let sawArmed = false;
    for (const [i, f] of frames.entries()) {
      t.feed(f.raw, f.atMs, f.endpoint);
      const m = decodeMessage(f.raw);
      if (m?.name === 'GLOBAL_POSITION_INT' && m.sysid === 1) last.position = m;
      if (m?.name === 'GPS_RAW_INT' && m.sysid === 1) last.gps = m;
      if (m?.name === 'SYS_STATUS' && m.sysid === 1) last.status = m;
      if (m?.name === 'HEARTBEAT' && isAutopilotHeartbeat(m)) last.armed = (m.baseMode & 128) !== 0;
      if (i % 500 !== 499 || !last.position || !last.gps || !last.status) continue;
      t.telemetry.pushLive();
      const body = t.sent.at(-1)!;
      expect(Value.Check(VehicleList, body), `at ${(f.atMs - t0) / 1000} s: ${[...Value.Errors(VehicleList, body)].map((e) => e.path + ' ' + e.message).join('; ')}`).toBe(true);
      const v = body.vehicles[0]!;
      expect(v).toMatchObject({
        vehicleKey: 'sys1', systemId: 1, autopilot: 'ardupilotmega', vehicleType: 'quadrotor', armed: last.armed,
        lat: last.position.lat, lon: last.position.lon, gpsFix: last.gps.fixType, satellites: last.gps.satellites,
        batteryVoltageV: Math.round(last.status.voltage! * 100) / 100,
      });
      expect(v.altRelM).toBeCloseTo(last.position.relativeAlt, 2);
      expect(v.altMslM).toBeCloseTo(last.position.altMsl, 2);
      expect(v.mode).toMatch(/^[A-Z_]+$/);
      sawArmed ||= v.armed;
      checked++;
    }
    expect(checked).toBeGreaterThan(25);
    expect(sawArmed).toBe(true);
  });

  it('sends about twice a second with the newest values, and keeps nothing back while the hub is away', async () => {
    const tracker = new VehicleTracker({ clock: { now: () => Date.now() }, log, emitEvent: async () => 0 });
    const sent: Array<{ at: number; lat: number | undefined }> = [];
    let hubUp = false;
    const telemetry = new TelemetryDecimator({
      clock: { now: () => Date.now() }, log, vehicles: tracker,
      sendLive: (l) => {
        if (!hubUp) return false;
        sent.push({ at: Date.now(), lat: l.vehicles[0]?.lat });
        return true;
      },
    });
    tracker.addConsumer(telemetry);
    telemetry.start();
    const fedAt: Array<{ at: number; lat: number }> = [];
    let seq = 0;
    const started = Date.now();
    try {
      // 50 positions a second for 3 s; the hub comes back after 1 s.
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const lat = 52 + seq / 1e4;
          tracker.handle(received(seq % 50 === 0 ? heartbeat({ seq: seq++ }) : globalPosition({ seq: seq++, lat, lon: 5 }), Date.now()));
          fedAt.push({ at: Date.now(), lat });
          if (Date.now() - started > 1000) hubUp = true;
          if (Date.now() - started > 3000) {
            clearInterval(timer);
            resolve();
          }
        }, 20);
      });
    } finally {
      await telemetry.stop();
    }
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.length).toBeLessThanOrEqual(5); // ~2 Hz over the 2 s the hub was there, none saved up from before
    for (const [i, s] of sent.entries()) {
      if (i > 0) expect(s.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(400);
      const newest = fedAt.filter((f) => f.at <= s.at).at(-1)!;
      expect(Math.abs(s.lat! - newest.lat)).toBeLessThanOrEqual(2 / 1e4); // the newest position (or the one before, same tick)
    }
    expect(sent[0]!.at - started).toBeGreaterThanOrEqual(1000);
  });
});
