import { SurveyFileError } from '../errors';
import { emptyMission, MAV_CMD, type HomePosition, type Mission, type MissionItem } from '../mission-items';

/**
 * "QGC WPL 110" waypoint files (Mission Planner, QGC, pymavlink, dronekit): a header line, then
 * one tab-separated row of 12 fields per item: seq, current, frame, command, param1–4,
 * latitude, longitude, altitude, autocontinue. In a mission file row 0 is the home position,
 * as QGC and Mission Planner read it. Files holding only geofence or rally items (pymavlink
 * writes them so) have no home row: every row is an item of that list.
 */

export const WPL_HEADER = 'QGC WPL 110';

export interface WplReadResult {
  mission: Mission;
  /** Things read in a way the user may not expect (not errors). */
  warnings: string[];
}

const FENCE_COMMANDS = new Set<number>([5000, 5001, 5002, 5003, 5004]);

export function readWpl(text: string): WplReadResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').trim();
  if (header !== WPL_HEADER) {
    throw new SurveyFileError(`the first line is ${JSON.stringify(header.slice(0, 40))}, expected "${WPL_HEADER}"`);
  }
  const rows: { line: number; seq: number; item: MissionItem }[] = [];
  lines.slice(1).forEach((raw, i) => {
    const line = i + 2;
    if (raw.trim() === '' || raw.trim().startsWith('#')) return;
    rows.push(parseRow(raw, line));
  });
  const warnings: string[] = [];
  rows.forEach((r, i) => {
    if (r.seq !== i) warnings.push(`line ${r.line}: sequence number ${r.seq} where ${i} was expected; rows were read in file order`);
  });
  const items = rows.map((r) => r.item);
  const mission = emptyMission();
  if (items.length > 0 && items.every((it) => FENCE_COMMANDS.has(it.command))) {
    mission.fence = items;
    return { mission, warnings };
  }
  if (items.length > 0 && items.every((it) => it.command === MAV_CMD.NAV_RALLY_POINT)) {
    mission.rally = items;
    return { mission, warnings };
  }
  const [home, ...rest] = items;
  if (home) {
    if (home.command !== MAV_CMD.NAV_WAYPOINT) {
      warnings.push(`row 0 holds command ${home.command}, not a waypoint; it was read as the home position, as QGC and Mission Planner do`);
    }
    mission.home = { lat: home.lat, lon: home.lon, alt: home.alt } satisfies HomePosition;
  }
  mission.items = rest;
  return { mission, warnings };
}

function parseRow(raw: string, line: number): { line: number; seq: number; item: MissionItem } {
  let fields = raw.replace(/\s+$/, '').split('\t');
  // Some tools pad with spaces instead of tabs; accept that when it still gives 12 fields.
  if (fields.length !== 12) fields = raw.trim().split(/\s+/);
  if (fields.length !== 12) throw new SurveyFileError(`expected 12 tab-separated fields, found ${fields.length}`, `line ${line}`);
  const names = ['seq', 'current', 'frame', 'command', 'param1', 'param2', 'param3', 'param4', 'latitude', 'longitude', 'altitude', 'autocontinue'];
  const v = fields.map((f, k) => {
    const name = names[k] as string;
    const integer = k < 4 || k === 11;
    // pymavlink and QGC write unset parameters as "nan".
    if (!integer && /^[-+]?nan$/i.test(f)) return NaN;
    const n = f.trim() === '' ? NaN : Number(f);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new SurveyFileError(`${name} is ${JSON.stringify(f)}, expected ${integer ? 'a whole number' : 'a number'}`, `line ${line}`);
    }
    return n;
  });
  const [seq, , frame, command, p1, p2, p3, p4, lat, lon, alt, auto] = v as number[] as [number, number, number, number, number, number, number, number, number, number, number, number];
  return { line, seq, item: { command, frame, param1: p1, param2: p2, param3: p3, param4: p4, lat, lon, alt, autocontinue: auto !== 0 } };
}

/** Numbers as WPL readers expect them: no exponent, "nan" for unset, enough digits to round-trip. */
export function wplNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const s = String(x);
  if (!/e/i.test(s)) return s;
  return x.toFixed(15).replace(/0+$/, '').replace(/\.$/, '');
}

function row(seq: number, current: boolean, it: MissionItem): string {
  return [seq, current ? 1 : 0, it.frame, it.command, it.param1, it.param2, it.param3, it.param4, it.lat, it.lon, it.alt, it.autocontinue ? 1 : 0]
    .map((x, k) => (k < 4 ? String(x) : wplNumber(x as number))).join('\t');
}

/**
 * A mission as WPL 110: row 0 the home (frame 0, altitude above sea level as given), then the
 * items. `list: 'fence' | 'rally'` writes that list instead, without a home row. A WPL file
 * holds one list only; write the others to their own files.
 */
export function writeWpl(mission: Mission, list: 'mission' | 'fence' | 'rally' = 'mission'): string {
  const out = [WPL_HEADER];
  if (list === 'mission') {
    const h = mission.home ?? { lat: 0, lon: 0, alt: 0 };
    out.push(row(0, true, { command: MAV_CMD.NAV_WAYPOINT, frame: 0, param1: 0, param2: 0, param3: 0, param4: 0, lat: h.lat, lon: h.lon, alt: h.alt, autocontinue: true }));
    mission.items.forEach((it, i) => out.push(row(i + 1, false, it)));
  } else {
    (list === 'fence' ? mission.fence : mission.rally).forEach((it, i) => out.push(row(i, false, it)));
  }
  return `${out.join('\n')}\n`;
}
