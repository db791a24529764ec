import type { Position } from '../geojson';

/** Mean Earth radius, the one turf uses, so distances agree with turf.distance. */
const EARTH_RADIUS_M = 6_371_008.8;
const M_PER_DEG = (EARTH_RADIUS_M * Math.PI) / 180;

/**
 * A flat frame in metres around the survey area, turned so flight lines run along +x.
 *
 * The mapping from (lon, lat) is affine (equirectangular about the origin, then a rotation),
 * so a straight segment in degrees is a straight segment here and the other way round:
 * "inside the area" means the same in both, which is what lets the planner work in metres
 * and the tests check in degrees. Over a few kilometres the scale error is ~1e-4.
 */
export class LocalFrame {
  private readonly kx: number;
  private readonly sin: number;
  private readonly cos: number;

  /** @param angleDeg direction of the flight lines, degrees clockwise from north. */
  constructor(readonly originLon: number, readonly originLat: number, readonly angleDeg: number) {
    this.kx = M_PER_DEG * Math.cos((originLat * Math.PI) / 180);
    const a = (angleDeg * Math.PI) / 180;
    this.sin = Math.sin(a);
    this.cos = Math.cos(a);
  }

  /** [lon, lat] → [x along the lines, y across them], metres. */
  toXY(p: Position): Position {
    const e = ((p[0] as number) - this.originLon) * this.kx;
    const n = ((p[1] as number) - this.originLat) * M_PER_DEG;
    return [e * this.sin + n * this.cos, -e * this.cos + n * this.sin];
  }

  /** [x, y] metres → [lon, lat]. */
  toLonLat(p: Position): Position {
    const x = p[0] as number;
    const y = p[1] as number;
    const e = x * this.sin - y * this.cos;
    const n = x * this.cos + y * this.sin;
    return [this.originLon + e / this.kx, this.originLat + n / M_PER_DEG];
  }

  ringsToXY(rings: Position[][]): Position[][] {
    return rings.map((ring) => ring.map((p) => this.toXY(p)));
  }
}

export const distance = (a: Position, b: Position): number =>
  Math.hypot((b[0] as number) - (a[0] as number), (b[1] as number) - (a[1] as number));

/** The point a fraction t of the way from a to b. */
export const lerp = (a: Position, b: Position, t: number): Position =>
  [(a[0] as number) + ((b[0] as number) - (a[0] as number)) * t, (a[1] as number) + ((b[1] as number) - (a[1] as number)) * t];

/** The point `d` metres from a towards b. */
export function towards(a: Position, b: Position, d: number): Position {
  const len = distance(a, b);
  return len === 0 ? [a[0] as number, a[1] as number] : lerp(a, b, d / len);
}

/**
 * Flight-line direction that needs the fewest lines: the one across which the area is
 * narrowest, tried in whole degrees (0–179) so the result is the same every time.
 */
export function narrowestDirection(rings: Position[][]): number {
  const lat0 = rings.flat().reduce((s, p) => s + (p[1] as number), 0) / Math.max(1, rings.flat().length);
  const kx = Math.cos((lat0 * Math.PI) / 180);
  const pts = rings.flat().map((p) => [(p[0] as number) * kx, p[1] as number] as const);
  let best = 0;
  let bestWidth = Infinity;
  for (let deg = 0; deg < 180; deg++) {
    const a = (deg * Math.PI) / 180;
    let lo = Infinity;
    let hi = -Infinity;
    for (const [e, n] of pts) {
      const y = -e * Math.cos(a) + n * Math.sin(a);
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    // A relative tolerance keeps near-ties (e.g. a square's 0° and 90°) on the lower angle.
    if (hi - lo < bestWidth * (1 - 1e-9)) { bestWidth = hi - lo; best = deg; }
  }
  return best;
}
