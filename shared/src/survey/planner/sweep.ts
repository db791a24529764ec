import * as turf from '@turf/turf';
import type { Position } from '../geojson';

/** One stretch of a flight line that lies inside the area, in the local frame (y constant). */
export interface LinePiece {
  /** Index of the flight line, 0 at the lowest y. */
  line: number;
  y: number;
  x0: number;
  x1: number;
}

/** Shorter pieces than this are slivers the neighbouring lines' photos already cover. */
const MIN_PIECE_M = 1;

/**
 * Parallel lines `spacingM` apart across the (inset) area, cut where they leave it: each line
 * meets the boundary at points turf.lineIntersect finds; between two neighbouring meeting
 * points the line is either all inside or all outside, and turf.booleanPointInPolygon on the
 * midpoint says which. Concave parts give several pieces per line; holes cut lines in two.
 * The lines are centred on the area so the margins on both sides are equal.
 */
export function sweepPieces(polygonsXY: Position[][][], spacingM: number): LinePiece[] {
  const shape = turf.multiPolygon(polygonsXY);
  const [minX, minY, maxX, maxY] = turf.bbox(shape) as [number, number, number, number];
  const height = maxY - minY;
  const count = Math.max(1, Math.ceil(height / spacingM - 1e-9));
  const first = minY + (height - (count - 1) * spacingM) / 2;
  const pieces: LinePiece[] = [];
  for (let line = 0; line < count; line++) {
    const y = first + line * spacingM;
    const ray = turf.lineString([[minX - 1, y], [maxX + 1, y]]);
    const xs = turf.lineIntersect(ray, shape).features.map((f) => f.geometry.coordinates[0] as number).sort((a, b) => a - b);
    const cuts = xs.filter((x, i) => i === 0 || x - (xs[i - 1] as number) > 1e-9);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const x0 = cuts[i] as number;
      const x1 = cuts[i + 1] as number;
      if (x1 - x0 < MIN_PIECE_M) continue;
      if (!turf.booleanPointInPolygon([(x0 + x1) / 2, y], shape, { ignoreBoundary: true })) continue;
      const prev = pieces[pieces.length - 1];
      // A line grazing a vertex is cut there although it never leaves the area: join it again.
      if (prev && prev.line === line && Math.abs(prev.x1 - x0) < 1e-9) prev.x1 = x1;
      else pieces.push({ line, y, x0, x1 });
    }
  }
  return pieces;
}
