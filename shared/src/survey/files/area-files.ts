import { kml } from '@tmcw/togeojson';
import { DOMParser, type Element, type Node } from '@xmldom/xmldom';
import { SurveyFileError, SurveyInputError } from '../errors';
import type { AreaGeometry, Position } from '../geojson';
import { normalizeArea } from '../planner/area';

/**
 * Survey areas from files: GeoJSON (a Polygon or MultiPolygon, bare, in a Feature or in a
 * FeatureCollection) and KML (Google Earth, QGC). Every polygon found is kept; a file with none,
 * or with a broken one, is refused with what is wrong. The result has been through the
 * planner's own checks, so a file that imports also plans.
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function collectPolygons(geometry: unknown, out: Position[][][], where: string): void {
  if (!isObject(geometry)) return;
  if (geometry.type === 'Polygon') out.push(geometry.coordinates as Position[][]);
  else if (geometry.type === 'MultiPolygon') {
    if (!Array.isArray(geometry.coordinates)) throw new SurveyFileError('a MultiPolygon has no coordinates', where);
    out.push(...(geometry.coordinates as Position[][][]));
  } else if (geometry.type === 'GeometryCollection' && Array.isArray(geometry.geometries)) {
    geometry.geometries.forEach((g) => collectPolygons(g, out, where));
  }
}

function toArea(polygons: Position[][][], where: string): AreaGeometry {
  if (polygons.length === 0) throw new SurveyFileError('no Polygon or MultiPolygon found', where);
  // Drop altitudes ([lon, lat, alt] in KML and some GeoJSON): the area is a ground outline.
  const flat = polygons.map((rings) => (Array.isArray(rings) ? rings : []).map((ring) => (Array.isArray(ring) ? ring : []).map((p) => (Array.isArray(p) ? p.slice(0, 2) : p) as Position)));
  const area: AreaGeometry = flat.length === 1 ? { type: 'Polygon', coordinates: flat[0] as Position[][] } : { type: 'MultiPolygon', coordinates: flat };
  try {
    normalizeArea(area);
  } catch (err) {
    if (err instanceof SurveyInputError) throw new SurveyFileError(err.message, where);
    throw err;
  }
  return area;
}

export function readAreaGeoJson(text: string): AreaGeometry {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new SurveyFileError(`not valid JSON (${(err as Error).message})`, 'GeoJSON');
  }
  if (!isObject(root)) throw new SurveyFileError('not a GeoJSON object', 'GeoJSON');
  const polygons: Position[][][] = [];
  if (root.type === 'FeatureCollection') {
    if (!Array.isArray(root.features)) throw new SurveyFileError('the FeatureCollection has no "features" list', 'GeoJSON');
    root.features.forEach((f, i) => collectPolygons(isObject(f) ? f.geometry : undefined, polygons, `GeoJSON feature ${i + 1}`));
  } else if (root.type === 'Feature') {
    collectPolygons(root.geometry, polygons, 'GeoJSON feature');
  } else {
    collectPolygons(root, polygons, 'GeoJSON');
  }
  return toArea(polygons, 'GeoJSON');
}

export function readAreaKml(text: string): AreaGeometry {
  const body = text.replace(/^\uFEFF/, '');
  const declaration = body.indexOf('<?xml');
  const junk = declaration > 0 ? body.slice(0, declaration).trim() : '';
  if (junk) throw new SurveyFileError(`text before the XML declaration (${JSON.stringify(junk.slice(0, 40))}): not a well-formed KML file`, 'KML');
  const problems: string[] = [];
  let doc;
  try {
    doc = new DOMParser({ onError: (level, message) => { if (level !== 'warning') problems.push(message); } }).parseFromString(body, 'text/xml');
  } catch (err) {
    throw new SurveyFileError(`not well-formed XML (${(err as Error).message})`, 'KML');
  }
  if (problems.length > 0) throw new SurveyFileError(`not well-formed XML (${problems[0]})`, 'KML');
  const root = doc.documentElement;
  if (!root || root.localName !== 'kml') throw new SurveyFileError(`the root element is <${root?.localName ?? 'none'}>, expected <kml>`, 'KML');
  // togeojson silently drops a polygon it cannot read; say which one and why instead.
  const polys = Array.from(doc.getElementsByTagName('Polygon'));
  polys.forEach((poly, i) => {
    const placemark = placemarkName(poly);
    const where = `KML polygon ${i + 1}${placemark ? ` ("${placemark}")` : ''}`;
    const outer = poly.getElementsByTagName('outerBoundaryIs')[0];
    if (!outer) throw new SurveyFileError('has no <outerBoundaryIs>', where);
    const ring = outer.getElementsByTagName('LinearRing')[0];
    if (!ring) throw new SurveyFileError('its <outerBoundaryIs> has no <LinearRing> around the <coordinates>', where);
    if (!ring.getElementsByTagName('coordinates')[0]?.textContent?.trim()) throw new SurveyFileError('its <LinearRing> has no <coordinates>', where);
  });
  // togeojson's types name the DOM's Document; xmldom's is the same shape.
  const fc = kml(doc as unknown as Parameters<typeof kml>[0]);
  const polygons: Position[][][] = [];
  fc.features.forEach((f, i) => collectPolygons(f.geometry, polygons, `KML placemark ${i + 1}`));
  return toArea(polygons, 'KML');
}

function placemarkName(el: Element): string {
  for (let n: Node | null = el.parentNode; n; n = n.parentNode) {
    if (n.nodeType === n.ELEMENT_NODE && (n as Element).localName === 'Placemark') {
      return (n as Element).getElementsByTagName('name')[0]?.textContent?.trim() ?? '';
    }
  }
  return '';
}

/** An area file by name: .kml is KML, anything else is read as GeoJSON. */
export function readAreaFile(name: string, text: string): AreaGeometry {
  return /\.kml$/i.test(name) ? readAreaKml(text) : readAreaGeoJson(text);
}
