import * as turf from '@turf/turf';
import type { Position } from '../geojson';
import { distance } from './local-frame';

/**
 * Shortest ways between two points that never leave the area, for the transits between
 * flight lines in concave areas and around holes.
 *
 * A straight hop is allowed only when both ends are strictly inside the area and turf finds
 * no point where the hop meets the boundary. Otherwise the way goes through corners of the
 * inset area (the area shrunk by the planner's margin): a shortest path inside a polygon only
 * bends at its reflex corners, and the inset's corners sit a margin away from the real
 * boundary, so every hop between them is checked against the real area with room to spare.
 * Visibility between corners is worked out lazily and cached; the search is Dijkstra's.
 */
export class InsideRouter {
  private readonly shape;
  private readonly parts;
  private readonly cache = new Map<number, boolean>();

  constructor(areaXY: Position[][][], private readonly nodes: Position[]) {
    this.shape = turf.multiPolygon(areaXY);
    this.parts = areaXY.map((rings) => turf.polygon(rings));
  }

  /** Which polygon of a MultiPolygon area holds p (-1: none); no way inside joins two of them. */
  private partOf(p: Position): number {
    return this.parts.findIndex((part) => turf.booleanPointInPolygon(p, part, { ignoreBoundary: true }));
  }

  inside(p: Position): boolean {
    return turf.booleanPointInPolygon(p, this.shape, { ignoreBoundary: true });
  }

  /** The straight segment a–b lies inside the area (ends included, boundary excluded). */
  visible(a: Position, b: Position): boolean {
    if (!this.inside(a) || !this.inside(b)) return false;
    if (distance(a, b) < 1e-9) return true;
    return turf.lineIntersect(turf.lineString([a, b]), this.shape).features.length === 0;
  }

  private nodeVisible(i: number, j: number): boolean {
    const key = i < j ? i * this.nodes.length + j : j * this.nodes.length + i;
    let v = this.cache.get(key);
    if (v === undefined) {
      v = this.visible(this.nodes[i] as Position, this.nodes[j] as Position);
      this.cache.set(key, v);
    }
    return v;
  }

  /**
   * The corners to pass between a and b ([] when the straight hop is inside), or null when
   * no way inside the area joins them (they are in different parts of a MultiPolygon).
   */
  route(a: Position, b: Position): Position[] | null {
    if (this.visible(a, b)) return [];
    const part = this.partOf(a);
    if (part < 0 || part !== this.partOf(b)) return null;
    const n = this.nodes.length;
    const start = n;
    const goal = n + 1;
    const point = (i: number): Position => (i === start ? a : i === goal ? b : (this.nodes[i] as Position));
    const edge = (i: number, j: number): boolean => {
      if (i === goal || j === goal) return this.visible(point(i), point(j));
      if (i === start || j === start) return this.visible(point(i), point(j));
      return this.nodeVisible(i, j);
    };
    const dist = new Array<number>(n + 2).fill(Infinity);
    const prev = new Array<number>(n + 2).fill(-1);
    const done = new Array<boolean>(n + 2).fill(false);
    dist[start] = 0;
    for (let round = 0; round < n + 2; round++) {
      let u = -1;
      for (let i = 0; i < n + 2; i++) if (!done[i] && dist[i] !== Infinity && (u < 0 || (dist[i] as number) < (dist[u] as number))) u = i;
      if (u < 0 || u === goal) break;
      done[u] = true;
      for (let v = 0; v < n + 2; v++) {
        if (done[v] || v === start || v === u) continue;
        const d = (dist[u] as number) + distance(point(u), point(v));
        if (d < (dist[v] as number) && edge(u, v)) { dist[v] = d; prev[v] = u; }
      }
    }
    if (dist[goal] === Infinity) return null;
    const via: Position[] = [];
    for (let i = prev[goal] as number; i !== start && i >= 0; i = prev[i] as number) via.unshift(point(i));
    return via;
  }
}

/**
 * Corners of the inset area where a shortest inside path can bend: its reflex corners (interior
 * angle over 180°), which for holes are the hole's own outward corners.
 */
export function reflexCorners(polygonsXY: Position[][][]): Position[] {
  const out: Position[] = [];
  for (const rings of polygonsXY) {
    rings.forEach((ring, r) => {
      const pts = ring.slice(0, -1);
      const m = pts.length;
      let twiceArea = 0;
      for (let i = 0; i < m; i++) {
        const p = pts[i] as Position;
        const q = pts[(i + 1) % m] as Position;
        twiceArea += (p[0] as number) * (q[1] as number) - (q[0] as number) * (p[1] as number);
      }
      // The area is to the left of an outer ring drawn anticlockwise and of a hole drawn clockwise.
      const interiorLeft = r === 0 ? twiceArea > 0 : twiceArea < 0;
      for (let i = 0; i < m; i++) {
        const a = pts[(i + m - 1) % m] as Position;
        const p = pts[i] as Position;
        const c = pts[(i + 1) % m] as Position;
        const cross = ((p[0] as number) - (a[0] as number)) * ((c[1] as number) - (p[1] as number))
          - ((p[1] as number) - (a[1] as number)) * ((c[0] as number) - (p[0] as number));
        if (interiorLeft ? cross < 0 : cross > 0) out.push(p);
      }
    });
  }
  return out;
}
