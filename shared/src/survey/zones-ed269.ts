import * as turf from '@turf/turf';
import { SurveyFileError } from './errors';
import type { AreaGeometry, Position } from './geojson';

/**
 * UAS geographical zones from EUROCAE ED-269 JSON, the format EU member states publish their
 * zones in (Regulation (EU) 2019/947, Art. 15). The spec layout is an object with `features`,
 * each zone with identifier, name, restriction, zoneAuthority[] and geometry[] (volumes with a
 * horizontalProjection, lower/upper limits, their unit and vertical references). Published files
 * vary, so this also reads: a bare list of zones, `UASZoneList`, a single geometry object instead
 * of a list, `airspaceVolume`, a single zoneAuthority object, and GeoJSON FeatureCollections
 * whose properties carry the zone fields. A file it cannot read gets an error saying where.
 */

export const ZONE_RESTRICTIONS = ['PROHIBITED', 'REQ_AUTHORISATION', 'CONDITIONAL', 'NO_RESTRICTION'] as const;
export type ZoneRestriction = (typeof ZONE_RESTRICTIONS)[number];

export interface ZoneAuthority {
  name: string;
  service?: string;
  contactName?: string;
  email?: string;
  phone?: string;
  siteURL?: string;
  purpose?: string;
}

export interface ZoneVolume {
  /** Ground outline in [lon, lat]; a circle is a 64-sided polygon drawn just outside it. */
  outline: AreaGeometry;
  circle?: { lon: number; lat: number; radiusM: number };
  /** Metres; null: from the surface. */
  lowerM: number | null;
  /** Metres; null: no upper limit. */
  upperM: number | null;
  /** AGL, AMSL or WGS84 as in the file (AGL when not given). */
  lowerReference: string;
  upperReference: string;
}

export interface UasZone {
  identifier: string;
  name: string;
  restriction: ZoneRestriction;
  type?: string;
  country?: string;
  reasons: string[];
  message?: string;
  restrictionConditions: string[];
  authorities: ZoneAuthority[];
  volumes: ZoneVolume[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined);
const FEET = 0.3048;

export function readEd269(text: string): UasZone[] {
  let root: unknown;
  try {
    root = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new SurveyFileError(`not valid JSON (${(err as Error).message})`, 'ED-269 zones');
  }
  const list = Array.isArray(root) ? root
    : isObject(root) && Array.isArray(root.features) ? root.features
    : isObject(root) && Array.isArray(root.UASZoneList) ? root.UASZoneList
    : null;
  if (!list) throw new SurveyFileError('no zones found: expected an ED-269 object with a "features" list (or a list of zones)', 'ED-269 zones');
  return list.map((raw, i) => readZone(raw, i));
}

function readZone(raw: unknown, i: number): UasZone {
  let where = `ED-269 zone ${i + 1}`;
  if (!isObject(raw)) throw new SurveyFileError('is not an object', where);
  // GeoJSON flavour: the zone's fields are properties and the geometry is a GeoJSON geometry.
  const z: Json = isObject(raw.properties) && isObject(raw.geometry) && typeof raw.geometry.type === 'string'
    ? { ...raw.properties, geometry: [{ ...raw.properties, horizontalProjection: raw.geometry }] }
    : raw;
  const identifier = str(z.identifier) ?? str(z.id) ?? `#${i + 1}`;
  const name = str(z.name) ?? identifier;
  where = `ED-269 zone ${i + 1} ("${name}")`;
  const restrictionText = (str(z.restriction) ?? (ZONE_RESTRICTIONS.includes(str(z.type) as ZoneRestriction) ? str(z.type) : undefined))
    ?.toUpperCase().replace('AUTHORIZATION', 'AUTHORISATION');
  if (!restrictionText) throw new SurveyFileError(`has no "restriction" (one of ${ZONE_RESTRICTIONS.join(', ')})`, where);
  if (!ZONE_RESTRICTIONS.includes(restrictionText as ZoneRestriction)) {
    throw new SurveyFileError(`has restriction "${restrictionText}", expected one of ${ZONE_RESTRICTIONS.join(', ')}`, where);
  }
  const geometry = z.geometry ?? z.airspaceVolume ?? z.airspaceVolumes;
  const volumes = (Array.isArray(geometry) ? geometry : geometry === undefined ? [] : [geometry]).map((g, k) => readVolume(g, `${where}, geometry ${k + 1}`));
  if (volumes.length === 0) throw new SurveyFileError('has no "geometry"', where);
  const authority = z.zoneAuthority ?? z.authority;
  const authorities = (Array.isArray(authority) ? authority : authority === undefined ? [] : [authority]).filter(isObject).map((a): ZoneAuthority => ({
    name: str(a.name) ?? str(a.service) ?? 'unnamed authority',
    service: str(a.service), contactName: str(a.contactName), email: str(a.email), phone: str(a.phone), siteURL: str(a.siteURL), purpose: str(a.purpose),
  }));
  const strings = (v: unknown) => (Array.isArray(v) ? v.map(str).filter((s): s is string => !!s) : str(v) ? [str(v) as string] : []);
  return {
    identifier, name, restriction: restrictionText as ZoneRestriction, type: str(z.type), country: str(z.country),
    reasons: strings(z.reason), message: str(z.message), restrictionConditions: strings(z.restrictionConditions),
    authorities, volumes,
  };
}

function readVolume(g: unknown, where: string): ZoneVolume {
  if (!isObject(g)) throw new SurveyFileError('is not an object', where);
  const uom = (str(g.uomDimensions) ?? 'M').toUpperCase();
  if (uom !== 'M' && uom !== 'FT') throw new SurveyFileError(`has uomDimensions "${uom}", expected "M" or "FT"`, where);
  const scale = uom === 'FT' ? FEET : 1;
  const limit = (key: 'lowerLimit' | 'upperLimit'): number | null => {
    const v = g[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SurveyFileError(`"${key}" is ${JSON.stringify(v)}, expected a number`, where);
    return v * scale;
  };
  const hp = g.horizontalProjection;
  if (!isObject(hp)) throw new SurveyFileError('has no "horizontalProjection"', where);
  let outline: AreaGeometry;
  let circle: ZoneVolume['circle'];
  if (hp.type === 'Circle') {
    const c = hp.center;
    const center = Array.isArray(c) ? c : isObject(c) ? [c.longitude ?? c.lon, c.latitude ?? c.lat] : undefined;
    if (!center || !lonLatOk(center)) throw new SurveyFileError('the Circle has no "center" [longitude, latitude]', where);
    if (typeof hp.radius !== 'number' || !(hp.radius > 0)) throw new SurveyFileError('the Circle has no positive "radius"', where);
    const radiusM = hp.radius * scale;
    circle = { lon: center[0] as number, lat: center[1] as number, radiusM };
    const steps = 64;
    // Vertices on a slightly larger circle so the polygon contains the whole circle.
    const poly = turf.circle([circle.lon, circle.lat], radiusM / Math.cos(Math.PI / steps), { steps, units: 'meters' });
    outline = poly.geometry as AreaGeometry;
  } else if (hp.type === 'Polygon' || hp.type === 'MultiPolygon') {
    const polys = (hp.type === 'Polygon' ? [hp.coordinates] : hp.coordinates) as unknown;
    if (!Array.isArray(polys)) throw new SurveyFileError(`the ${hp.type} has no coordinates`, where);
    const clean = polys.map((rings, p) => readRings(rings, `${where}, polygon ${p + 1}`));
    outline = clean.length === 1 ? { type: 'Polygon', coordinates: clean[0] as Position[][] } : { type: 'MultiPolygon', coordinates: clean };
  } else {
    throw new SurveyFileError(`horizontalProjection type ${JSON.stringify(hp.type)} is not supported (Polygon, MultiPolygon or Circle)`, where);
  }
  return {
    outline, circle, lowerM: limit('lowerLimit'), upperM: limit('upperLimit'),
    lowerReference: (str(g.lowerVerticalReference) ?? 'AGL').toUpperCase(),
    upperReference: (str(g.upperVerticalReference) ?? 'AGL').toUpperCase(),
  };
}

function lonLatOk(p: unknown): boolean {
  return Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number' && Math.abs(p[0]) <= 180 && Math.abs(p[1]) <= 90;
}

function readRings(rings: unknown, where: string): Position[][] {
  if (!Array.isArray(rings) || rings.length === 0) throw new SurveyFileError('has no rings', where);
  return rings.map((ring, r) => {
    if (!Array.isArray(ring)) throw new SurveyFileError(`ring ${r + 1} is not a list of points`, where);
    const pts = ring.map((p, k) => {
      if (!lonLatOk(p)) throw new SurveyFileError(`ring ${r + 1}, point ${k + 1} is not [longitude, latitude]`, where);
      return [(p as number[])[0], (p as number[])[1]] as Position;
    });
    const first = pts[0];
    const last = pts[pts.length - 1];
    if (first && last && (first[0] !== last[0] || first[1] !== last[1])) pts.push([...first]);
    if (pts.length < 4) throw new SurveyFileError(`ring ${r + 1} needs at least 3 points`, where);
    return pts;
  });
}
