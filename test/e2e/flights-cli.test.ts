import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliMain, fixturesDir, repoRoot, tempDir } from '../support/paths';

const mavlinkDir = join(fixturesDir, 'mavlink');
const VTOL = join(mavlinkDir, 'arduplane-vtol-sitl.tlog');
const COPTER = join(mavlinkDir, 'arducopter-auto-mission-2013-10-13-165851.tlog');
const RAW_V2 = join(mavlinkDir, 'mavlink-v2-3412-packets.bin');

/** The real command line as a pilot runs it, as a child process. */
async function sargs(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, out, err };
}

interface JsonFlight {
  file: string; start: string; end: string; durationS: number; distanceM: number; maxHeightM: number;
  maxGroundSpeedMps: number; systemId: number; vehicleType: string; autopilot: string; batteryUsedPercent: number | null;
}

/**
 * The test's own reading of a clean tlog: armed intervals of the autopilot (HEARTBEAT
 * base_mode bit 128, ground stations left out) and the highest GLOBAL_POSITION_INT
 * relative_alt in each.
 */
function armedIntervals(buf: Buffer): Array<{ sysid: number; startMs: number; endMs: number; maxHeightM: number }> {
  const out: Array<{ sysid: number; startMs: number; endMs: number; maxHeightM: number }> = [];
  let cur: (typeof out)[number] | undefined;
  for (let at = 0; at + 14 <= buf.length;) {
    const t = Number(buf.readBigUInt64BE(at)) / 1000;
    const f = at + 8;
    const len = buf[f + 1]!; // the fixtures are MAVLink v1
    const [sysid, msgid, p] = [buf[f + 3]!, buf[f + 5]!, f + 6];
    if (msgid === 0 && buf[p + 4] !== 6 && buf[p + 5] !== 8) {
      const armed = (buf[p + 6]! & 128) !== 0;
      if (armed && !cur) cur = { sysid, startMs: t, endMs: t, maxHeightM: -Infinity };
      if (!armed && cur) { out.push({ ...cur, endMs: t }); cur = undefined; }
    }
    if (msgid === 33 && cur) cur.maxHeightM = Math.max(cur.maxHeightM, buf.readInt32LE(p + 16) / 1000);
    at = f + len + 8;
  }
  return out;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('sargs flights summarize', () => {
  const dir = tempDir('flights-cli');
  afterAll(() => dir.remove());

  it('--json: one flight per fixture log, duration and height as the raw frames say', async () => {
    const { code, out, err } = await sargs('flights', 'summarize', '--json', VTOL, COPTER);
    expect(code).toBe(0);
    const flights = JSON.parse(out) as JsonFlight[];
    expect(flights.map((f) => [f.file, f.systemId, f.vehicleType, f.autopilot])).toEqual([
      [VTOL, 1, 'fixed-wing', 'ardupilotmega'], [COPTER, 1, 'quadrotor', 'ardupilotmega'],
    ]);
    for (const f of flights) {
      const [expected, ...more] = armedIntervals(readFileSync(f.file));
      expect(more).toEqual([]);
      expect(f.start).toMatch(ISO_UTC);
      expect(f.end).toMatch(ISO_UTC);
      expect(Math.abs(Date.parse(f.start) - expected!.startMs)).toBeLessThanOrEqual(1000);
      expect(Math.abs(f.durationS - (expected!.endMs - expected!.startMs) / 1000)).toBeLessThanOrEqual(1);
      expect(Math.abs(f.maxHeightM - expected!.maxHeightM)).toBeLessThanOrEqual(0.5);
      expect(f.distanceM).toBeGreaterThan(1000);
      expect(f.maxGroundSpeedMps).toBeGreaterThan(5);
      expect(f.batteryUsedPercent).toBeNull();
    }
    // The SITL log begins with the plane armed: said on stderr, with the file's name.
    expect(err).toContain(`${VTOL}: warning: flight at 2018-08-08T14:06:01.935Z: the log starts with system 1 already armed`);
  });

  it('prints a readable logbook line per flight', async () => {
    const { code, out } = await sargs('flights', 'summarize', COPTER);
    expect(code).toBe(0);
    expect(out).toContain(`${COPTER}: 1 flight`);
    expect(out).toContain('2013-10-13 22:01:11 → 22:06:45 UTC (5 min 34 s), quadrotor, system 1, ardupilotmega');
    expect(out).toMatch(/max height 100\.8 m above home/);
  });

  it('a torn log (junk, a cut record at the end) still gives its flight, with warnings naming the file', async () => {
    const copter = readFileSync(COPTER);
    const junk = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 37 + 11) % 256));
    const third = Math.floor(copter.length / 3);
    const torn = join(dir.path, 'torn copy.tlog');
    writeFileSync(torn, Buffer.concat([copter.subarray(0, third), junk, copter.subarray(third, 2 * third), junk, copter.subarray(2 * third), copter.subarray(0, 15)]));
    const [clean] = JSON.parse((await sargs('flights', 'summarize', '--json', COPTER)).out) as JsonFlight[];

    const { code, out, err } = await sargs('flights', 'summarize', '--json', torn);
    expect(code).toBe(0);
    const [flight, ...more] = JSON.parse(out) as JsonFlight[];
    expect(more).toEqual([]);
    expect(Math.abs(flight!.durationS - clean!.durationS)).toBeLessThanOrEqual(1);
    expect(Math.abs(flight!.maxHeightM - clean!.maxHeightM)).toBeLessThanOrEqual(0.5);
    expect(err).toMatch(new RegExp(`${torn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: warning: skipped \\d+ byte\\(s\\) of junk`));
    expect(err).toContain(`${torn}: warning: the file ends in the middle of a record`);
  });

  it('eight sessions joined, the clock going back at each (4.8 MB, read in chunks): every flight, and warnings', async () => {
    const joined = join(dir.path, 'joined.tlog');
    const copter = readFileSync(COPTER);
    writeFileSync(joined, Buffer.concat(Array.from({ length: 8 }, () => copter)));
    const { code, out, err } = await sargs('flights', 'summarize', '--json', joined);
    expect(code).toBe(0);
    const flights = JSON.parse(out) as JsonFlight[];
    expect(flights.map((f) => [f.start, f.durationS])).toEqual(Array.from({ length: 8 }, () => ['2013-10-13T22:01:11.171Z', 334.484]));
    expect(err.match(/joined\.tlog: warning: .*time goes back 570\.\d s/g)).toHaveLength(7);
    expect(err).not.toMatch(/junk|middle of a record/);
  });

  it('files that cannot be read at all: named on stderr, exit code 1, the good file still summarised', async () => {
    const missing = join(dir.path, 'missing.tlog');
    const { code, out, err } = await sargs('flights', 'summarize', '--json', missing, RAW_V2, COPTER);
    expect(code).toBe(1);
    expect((JSON.parse(out) as JsonFlight[]).map((f) => f.file)).toEqual([COPTER]);
    expect(err).toContain(`${missing}: cannot read: ENOENT`);
    expect(err).toContain(`${RAW_V2}: no tlog records in it`);
  });

  it('without a file it is a usage error', async () => {
    const { code, err } = await sargs('flights', 'summarize');
    expect(code).toBe(2);
    expect(err).toMatch(/missing required argument/);
  });
});
