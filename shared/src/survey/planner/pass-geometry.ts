import type { Position } from '../geojson';
import { distance, towards } from './local-frame';
import type { Pass } from './route';

export type WaypointKind = 'line-start' | 'photo-start' | 'photo-end' | 'line-end' | 'transit';

export interface PathPoint {
  p: Position;
  kind: WaypointKind;
}

export interface PassGeometry {
  points: PathPoint[];
  /** Where the camera fires: every trigger distance from the photo start, start included. */
  photos: Position[];
}

/**
 * Waypoints and photo positions of one pass. The turnaround leg (where a multirotor settles
 * on the line, or a plane lines up) is taken from the line's own ends, not added outside the
 * area as QGC does: photos run from `turnaroundM` after the start to `turnaroundM` before the
 * end. A piece too short for both legs is photographed over its whole length.
 */
export function passGeometry(pass: Pass, turnaroundM: number, triggerM: number): PassGeometry {
  const len = distance(pass.a, pass.b);
  const tIn = pass.turnIn ? turnaroundM : 0;
  const tOut = pass.turnOut ? turnaroundM : 0;
  const room = len - tIn - tOut > 1e-6;
  const start = room && tIn > 0 ? towards(pass.a, pass.b, tIn) : pass.a;
  const end = room && tOut > 0 ? towards(pass.b, pass.a, tOut) : pass.b;
  const points: PathPoint[] = [{ p: pass.a, kind: 'line-start' }];
  if (start !== pass.a) points.push({ p: start, kind: 'photo-start' });
  else (points[0] as PathPoint).kind = 'photo-start';
  points.push({ p: end, kind: 'photo-end' });
  if (end !== pass.b) points.push({ p: pass.b, kind: 'line-end' });
  const photoLen = distance(start, end);
  const count = Math.floor(photoLen / triggerM + 1e-9) + 1;
  const photos: Position[] = [];
  for (let k = 0; k < count; k++) photos.push(towards(start, end, k * triggerM));
  return { points, photos };
}

export interface FlightTiming {
  speedMps: number;
  altitudeM: number;
  climbMps: number;
  descentMps: number;
  /** Seconds lost at each waypoint where the track turns by more than 20°. */
  turnPenaltyS: number;
}

/** Horizontal metres from home through the points and back to home. */
export function routeLength(home: Position, points: Position[]): number {
  let d = 0;
  let at = home;
  for (const p of [...points, home]) { d += distance(at, p); at = p; }
  return d;
}

function turns(home: Position, points: Position[]): number {
  const all = [home, ...points, home];
  let n = 0;
  for (let i = 1; i + 1 < all.length; i++) {
    const a = all[i - 1] as Position;
    const b = all[i] as Position;
    const c = all[i + 1] as Position;
    const h1 = Math.atan2((b[1] as number) - (a[1] as number), (b[0] as number) - (a[0] as number));
    const h2 = Math.atan2((c[1] as number) - (b[1] as number), (c[0] as number) - (b[0] as number));
    if (distance(a, b) < 1e-6 || distance(b, c) < 1e-6) continue;
    let d = Math.abs(h2 - h1);
    if (d > Math.PI) d = 2 * Math.PI - d;
    if (d > (20 * Math.PI) / 180) n++;
  }
  return n;
}

/**
 * Estimated seconds for a flight: climb to altitude, fly home → points → home at the survey
 * speed, descend, plus a fixed cost for each turn. Deliberately simple and a little pessimistic;
 * the battery reserve covers wind and the rest.
 */
export function flightSeconds(home: Position, points: Position[], t: FlightTiming): number {
  return t.altitudeM / t.climbMps + t.altitudeM / t.descentMps
    + routeLength(home, points) / t.speedMps + turns(home, points) * t.turnPenaltyS;
}
