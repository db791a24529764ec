import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage, isAutopilotHeartbeat, isArmed } from '@sargs/shared/mavlink/messages';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/paths';
import { COPTER, fixtureFrames, fixturePath, VTOL } from '../../../test/support/drone-frames';
import { tlogName } from './tlog-file';
import { TlogRecorder, type ClosedFlight, type TlogRecorderSettings } from './tlog-recorder';
import { VehicleTracker } from './vehicles';

const log = pino({ level: 'silent' });
const dirs: Array<{ remove: () => void }> = [];
afterEach(() => { for (const d of dirs.splice(0)) d.remove(); });

function autopilotHeartbeat(raw: Buffer) {
  const m = decodeMessage(raw);
  return m?.name === 'HEARTBEAT' && isAutopilotHeartbeat(m) ? m : undefined;
}

/** Replays a fixture through the tracker and recorder as the relay would, with the clock at each frame's recorded time. */
async function record(name: string, settings: Omit<TlogRecorderSettings, 'tlogDir'> = {}) {
  const dir = tempDir('tlogs');
  dirs.push(dir);
  let now = 0;
  const clock = { now: () => now };
  const closed: ClosedFlight[] = [];
  const recorder = new TlogRecorder({
    clock, log, settings: { tlogDir: dir.path, ...settings },
    flights: { closed: async (f) => { closed.push(f); }, isPending: () => true },
  });
  const tracker = new VehicleTracker({ clock, log, emitEvent: async () => 0, consumers: [recorder] });
  await recorder.start();
  const { records, frames } = fixtureFrames(name);
  let nextCheck = frames[0]!.atMs;
  for (const f of frames) {
    for (; nextCheck <= f.atMs; nextCheck += 250) {
      now = nextCheck;
      tracker.checkLinks(now);
      if (nextCheck % 1000 < 250) await recorder.tick(now);
    }
    now = f.atMs;
    tracker.handle(f);
  }
  await recorder.stop();
  const files = readdirSync(dir.path).sort();
  return { dir: dir.path, closed, files, records, frames, fixture: readFileSync(fixturePath(name)) };
}

const read = (dir: string, file: string) => readFileSync(join(dir, file));

describe('tlog recorder', () => {
  it('writes the real copter flight to its own file from 30 s before arming to disarming, byte for byte, and the rest to ground logs', async () => {
    const r = await record(COPTER, { groundFileMaxBytes: 100_000 });
    const armIdx = r.frames.findIndex((f) => { const hb = autopilotHeartbeat(f.raw); return hb && isArmed(hb); });
    const disarmIdx = r.frames.findIndex((f, i) => { const hb = i > armIdx && autopilotHeartbeat(f.raw); return hb && !isArmed(hb); });
    expect(armIdx).toBeGreaterThan(0);
    expect(disarmIdx).toBeGreaterThan(armIdx);
    const armAt = r.frames[armIdx]!.atMs;

    expect(r.closed).toHaveLength(1);
    const flight = r.closed[0]!;
    expect(flight).toMatchObject({
      vehicleKey: 'sys1', systemId: 1,
      startedAt: new Date(armAt).toISOString(), endedAt: new Date(r.frames[disarmIdx]!.atMs).toISOString(),
    });
    const flightFiles = r.files.filter((f) => f.startsWith('flight-'));
    expect(flightFiles).toEqual([flight.path.split('/').at(-1)]);

    // The vehicle's own frames of the 30 s before arming, then every frame (ground station and radio too) to the disarm.
    const recordBytes = (i: number) => { const rec = r.records[i]!; return r.fixture.subarray(rec.offset, rec.offset + 8 + rec.frame.length); };
    const expected: Buffer[] = [];
    let preArm = 0;
    for (let i = 0; i < armIdx; i++) {
      if (r.frames[i]!.header.sysid === 1 && r.frames[i]!.atMs >= armAt - 30_000) { expected.push(recordBytes(i)); preArm++; }
    }
    for (let i = armIdx; i <= disarmIdx; i++) expected.push(recordBytes(i));
    expect(preArm).toBeGreaterThan(500);
    expect(read(r.dir, flightFiles[0]!).equals(Buffer.concat(expected))).toBe(true);

    // Everything else is in the ground logs, each a clean tlog; the pre-arm frames are in both.
    const groundFiles = r.files.filter((f) => f.startsWith('ground-'));
    expect(groundFiles.length).toBeGreaterThan(3);
    expect(groundFiles.some((f) => f.startsWith('ground-sys255-'))).toBe(true);
    let groundRecords = 0;
    for (const g of groundFiles) {
      const parsed = parseTlog(read(r.dir, g));
      expect(parsed.warnings).toEqual([]);
      groundRecords += parsed.records.length;
    }
    expect(groundRecords).toBe(r.records.length - (disarmIdx - armIdx + 1));
    expect(r.files.filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('records the SITL flight, armed from its first heartbeat, as one flight ending at the disarm', async () => {
    const r = await record(VTOL);
    expect(r.closed).toHaveLength(1);
    const parsed = parseTlog(read(r.dir, r.files.find((f) => f.startsWith('flight-'))!));
    const hbs = parsed.records.map((x) => autopilotHeartbeat(x.frame)).filter((h) => h !== undefined);
    expect(isArmed(hbs[0]!)).toBe(true);
    expect(isArmed(hbs.at(-1)!)).toBe(false);
    expect(hbs.slice(0, -1).every(isArmed)).toBe(true);
    const seconds = (Date.parse(r.closed[0]!.endedAt!) - Date.parse(r.closed[0]!.startedAt)) / 1000;
    expect(seconds).toBeGreaterThan(170);
    expect(seconds).toBeLessThan(180);
  });

  it('closes a flight whose link stays lost past the timeout and starts another when the armed vehicle returns', async () => {
    // The SITL log's heartbeats pause for 6 s mid-flight; with a 5 s timeout that ends the first file.
    const r = await record(VTOL, { flightEndAfterLostMs: 5000 });
    const flights = r.closed.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    expect(flights.length).toBeGreaterThanOrEqual(2);
    const first = flights[0]!;
    const gapStart = Date.parse(first.endedAt!);
    const second = flights[1]!;
    expect(Date.parse(second.startedAt) - gapStart).toBeGreaterThanOrEqual(5000);
    for (const f of r.files.filter((x) => x.startsWith('flight-'))) expect(parseTlog(read(r.dir, f)).warnings).toEqual([]);
  });
});

describe('tlog budget', () => {
  it('at start-up recovers a file a crash left open, then rotates the oldest closed logs but never an unsent flight', async () => {
    const dir = tempDir('tlog-budget');
    dirs.push(dir);
    const t0 = Date.parse('2025-05-01T10:00:00Z');
    const pendingId = randomUUID();
    const sentId = randomUUID();
    const crashedId = randomUUID();
    const files = [
      { name: tlogName({ kind: 'flight', vehicleKey: 'sys1', startedMs: t0, flightId: pendingId }), ageH: 50 },
      { name: tlogName({ kind: 'ground', vehicleKey: 'sys1', startedMs: t0 + 3_600_000 }), ageH: 40 },
      { name: tlogName({ kind: 'flight', vehicleKey: 'sys1', startedMs: t0 + 7_200_000, flightId: sentId }), ageH: 30 },
      { name: tlogName({ kind: 'ground', vehicleKey: 'sys255', startedMs: t0 + 10_800_000 }), ageH: 20 },
      { name: `${tlogName({ kind: 'flight', vehicleKey: 'sys2', startedMs: t0 + 14_400_000, flightId: crashedId })}.part`, ageH: 10 },
    ];
    for (const f of files) {
      writeFileSync(join(dir.path, f.name), Buffer.alloc(100_000, 1));
      const at = (Date.now() - f.ageH * 3_600_000) / 1000;
      utimesSync(join(dir.path, f.name), at, at);
    }
    writeFileSync(join(dir.path, 'notes.txt'), 'not a tlog');
    const closed: ClosedFlight[] = [];
    const recorder = new TlogRecorder({
      clock: { now: () => Date.now() }, log, settings: { tlogDir: dir.path, budgetBytes: 250_000 },
      flights: { closed: async (f) => { closed.push(f); }, isPending: (id) => id !== sentId },
    });
    await recorder.start();
    await recorder.stop();

    expect(closed.map((f) => f.flightId).sort()).toEqual([pendingId, sentId, crashedId].sort());
    expect(closed.find((f) => f.flightId === crashedId)).toMatchObject({
      vehicleKey: 'sys2', systemId: 2, startedAt: new Date(t0 + 14_400_000).toISOString(), path: join(dir.path, files[4]!.name.replace(/\.part$/, '')),
    });
    // 500 kB against a 250 kB budget: the oldest ground log, the acknowledged flight, then the next ground log go;
    // the oldest file of all is a flight the hub does not have yet, so it stays.
    expect(readdirSync(dir.path).sort()).toEqual([files[0]!.name, files[4]!.name.replace(/\.part$/, ''), 'notes.txt'].sort());
    expect(existsSync(join(dir.path, files[0]!.name))).toBe(true);
  });
});
