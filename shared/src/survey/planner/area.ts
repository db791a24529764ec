import * as turf from '@turf/turf';
import { SurveyInputError } from '../errors';
import type { AreaGeometry, MultiPolygonGeometry, Position } from '../geojson';

/**
 * Checks a survey area and brings it to one shape: a list of polygons, each [outer, ...holes],
 * rings closed, in [lon, lat]. Whatever is wrong is named (which ring, which point), because
 * areas come from files and from people drawing on a map.
 */
export function normalizeArea(area: AreaGeometry): Position[][][] {
  if (!area || typeof area !== 'object') throw new SurveyInputError('the area must be a GeoJSON Polygon or MultiPolygon', 'area');
  let polygons: unknown[];
  if (area.type === 'Polygon') polygons = [area.coordinates];
  else if (area.type === 'MultiPolygon') polygons = Array.isArray(area.coordinates) ? area.coordinates : [];
  else throw new SurveyInputError(`the area must be a Polygon or MultiPolygon, not ${String((area as { type?: unknown }).type)}`, 'area');
  if (!Array.isArray(area.coordinates) || polygons.length === 0) throw new SurveyInputError('the area has no coordinates', 'area');
  const out = polygons.map((rings, i) => normalizePolygon(rings, polygons.length > 1 ? `polygon ${i + 1}` : 'the area'));
  const total = out.reduce((s, rings) => s + turf.area(turf.polygon(rings)), 0);
  if (!(total > 1)) throw new SurveyInputError('the area is empty (under 1 m²)', 'area');
  return out;
}

function normalizePolygon(rings: unknown, label: string): Position[][] {
  if (!Array.isArray(rings) || rings.length === 0) throw new SurveyInputError(`${label} has no rings`, 'area');
  const out = rings.map((ring, r) => normalizeRing(ring, r === 0 ? `${label}, outer ring` : `${label}, hole ${r}`));
  const poly = turf.polygon(out);
  const kinks = turf.kinks(poly);
  const k = kinks.features[0];
  if (k) {
    const [lon, lat] = k.geometry.coordinates as [number, number];
    throw new SurveyInputError(`${label} has a boundary that crosses itself near ${lat.toFixed(6)}, ${lon.toFixed(6)}`, 'area');
  }
  return out;
}

function normalizeRing(ring: unknown, label: string): Position[] {
  if (!Array.isArray(ring)) throw new SurveyInputError(`${label} is not a list of points`, 'area');
  const pts: Position[] = [];
  ring.forEach((p, i) => {
    if (!Array.isArray(p) || p.length < 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      throw new SurveyInputError(`${label}, point ${i + 1} is not [longitude, latitude]`, 'area');
    }
    const [lon, lat] = p as [number, number];
    if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
      throw new SurveyInputError(`${label}, point ${i + 1} (${lon}, ${lat}) is outside longitude −180…180 / latitude −90…90`, 'area');
    }
    const last = pts[pts.length - 1];
    if (!last || last[0] !== lon || last[1] !== lat) pts.push([lon, lat]);
  });
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (first && last && (first[0] !== last[0] || first[1] !== last[1])) pts.push([first[0] as number, first[1] as number]);
  if (pts.length < 4) throw new SurveyInputError(`${label} needs at least 3 distinct points`, 'area');
  return pts;
}

/**
 * The area shrunk by `marginM` on every side (holes grow by as much), as polygons in
 * [lon, lat]; empty when nothing is left. Flight lines are clipped to it, so they keep a
 * margin from the boundary instead of running along it.
 */
export function insetArea(polygons: Position[][][], marginM: number): Position[][][] {
  const multi: MultiPolygonGeometry = { type: 'MultiPolygon', coordinates: polygons };
  if (marginM <= 0) return polygons;
  const buffered = turf.buffer(turf.feature(multi), -marginM, { units: 'meters' });
  const geom = buffered?.geometry;
  if (!geom) return [];
  if (geom.type === 'Polygon') return [geom.coordinates];
  if (geom.type === 'MultiPolygon') return geom.coordinates;
  return [];
}

/** Square metres of the area (holes excluded). */
export function areaSquareMetres(polygons: Position[][][]): number {
  return turf.area(turf.multiPolygon(polygons));
}
