// A flight's track in the three formats pilots and GIS tools open: GeoJSON (RFC 7946),
// KML 2.2 (Google Earth: absolute altitudes, so the track floats where it flew) and GPX 1.1
// (every logbook and mapping app; one trkpt per fix, with elevation and time).

import { create } from 'xmlbuilder2';
import type { FlightSummary, TrackPoint } from '../mavlink/flights';

export type ExportableFlight = FlightSummary & { track: TrackPoint[] };

export interface TrackExportOptions {
  /** Default: vehicle type, system id and start, e.g. "quadrotor 1, 2013-10-13 22:01:11 UTC". */
  name?: string;
  /** Default: the summary in one line per fact. */
  description?: string;
  /** More facts to carry along (site, pilot, notes): GeoJSON properties, KML ExtendedData. */
  properties?: Record<string, string | number | boolean | null>;
}

export interface TrackFeatureCollection {
  type: 'FeatureCollection';
  features: Array<{
    type: 'Feature';
    geometry: { type: 'LineString'; coordinates: number[][] } | { type: 'Point'; coordinates: number[] } | null;
    properties: Record<string, unknown>;
  }>;
}

const KML_NS = 'http://www.opengis.net/kml/2.2';
const GPX_NS = 'http://www.topografix.com/GPX/1/1';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const TRKPTS_MARKER = 'sargs:trkpts';

// 1e-7 degrees is what MAVLink carries (about 1 cm); more digits are float noise.
const deg = (v: number): number => Math.round(v * 1e7) / 1e7;
const metres = (v: number): number => Math.round(v * 1000) / 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** XML 1.0 cannot carry most control characters (xmlbuilder2 would write them as they are). */
function xmlText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}

function defaultName(f: ExportableFlight): string {
  return `${f.vehicleType} ${f.systemId}, ${f.start.slice(0, 19).replace('T', ' ')} UTC`;
}

function defaultDescription(f: ExportableFlight): string {
  const minutes = Math.floor(f.durationS / 60);
  const seconds = Math.round(f.durationS - minutes * 60);
  return [
    `Vehicle: ${f.vehicleType} (system ${f.systemId}, ${f.autopilot})`,
    `Start: ${f.start}`,
    `End: ${f.end}`,
    `Duration: ${minutes} min ${seconds} s`,
    `Distance: ${Math.round(f.distanceM)} m`,
    `Max height above home: ${f.maxHeightM.toFixed(1)} m`,
    `Max ground speed: ${f.maxGroundSpeedMps.toFixed(1)} m/s`,
    `Battery used: ${f.batteryUsedPercent === null ? 'unknown' : `${f.batteryUsedPercent} %`}`,
  ].join('\n');
}

function summaryProperties(f: ExportableFlight, o: TrackExportOptions): Record<string, string | number | boolean | null> {
  return {
    systemId: f.systemId, vehicleType: f.vehicleType, autopilot: f.autopilot, start: f.start, end: f.end,
    durationS: f.durationS, takeoff: f.takeoff, landing: f.landing, distanceM: f.distanceM, maxHeightM: f.maxHeightM,
    maxGroundSpeedMps: f.maxGroundSpeedMps, batteryUsedPercent: f.batteryUsedPercent, ...o.properties,
  };
}

/**
 * GeoJSON FeatureCollection with the track as one LineString of [lon, lat, altitude above
 * sea level] and the summary as properties; per-point times and heights above home go in
 * `coordinateProperties` (the convention @tmcw/togeojson uses for GPX/KML tracks).
 */
export function trackToGeoJson(f: ExportableFlight, o: TrackExportOptions = {}): TrackFeatureCollection {
  const coordinates = f.track.map((p) => [deg(p.lon), deg(p.lat), metres(p.altMsl)]);
  // A LineString needs two positions (RFC 7946 §3.1.4).
  const geometry = coordinates.length >= 2
    ? { type: 'LineString' as const, coordinates }
    : coordinates[0] ? { type: 'Point' as const, coordinates: coordinates[0] } : null;
  return {
    type: 'FeatureCollection',
    features: [{
      type: 'Feature', geometry,
      properties: {
        name: o.name ?? defaultName(f), description: o.description ?? defaultDescription(f), ...summaryProperties(f, o),
        coordinateProperties: {
          times: f.track.map((p) => iso(p.timeMs)),
          altRel: f.track.map((p) => metres(p.altRel)),
          groundSpeed: f.track.map((p) => p.groundSpeed),
        },
      },
    }],
  };
}

/** KML 2.2 document: one Placemark with the flight's time span, its facts and an absolute-altitude LineString. */
export function trackToKml(f: ExportableFlight, o: TrackExportOptions = {}): string {
  const name = xmlText(o.name ?? defaultName(f));
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele(KML_NS, 'kml').ele('Document');
  doc.ele('name').txt(name);
  const pm = doc.ele('Placemark');
  pm.ele('name').txt(name);
  pm.ele('description').txt(xmlText(o.description ?? defaultDescription(f)));
  const span = pm.ele('TimeSpan');
  span.ele('begin').txt(f.start);
  span.ele('end').txt(f.end);
  const data = pm.ele('ExtendedData');
  for (const [key, value] of Object.entries(summaryProperties(f, o))) {
    data.ele('Data', { name: xmlText(key) }).ele('value').txt(xmlText(value === null ? '' : String(value)));
  }
  const coords = f.track.map((p) => `${deg(p.lon)},${deg(p.lat)},${metres(p.altMsl)}`);
  if (coords.length > 0) {
    // A KML LineString needs two coordinates; a lone fix is a Point.
    const geometry = pm.ele(coords.length >= 2 ? 'LineString' : 'Point');
    geometry.ele('altitudeMode').txt('absolute');
    geometry.ele('coordinates').txt(coords.join(' '));
  }
  return doc.end({ prettyPrint: true });
}

/** GPX 1.1 with one track segment: a trkpt per fix with elevation (above sea level) and time. */
export function trackToGpx(f: ExportableFlight, o: TrackExportOptions = {}): string {
  const name = xmlText(o.name ?? defaultName(f));
  const desc = xmlText(o.description ?? defaultDescription(f));
  const gpx = create({ version: '1.0', encoding: 'UTF-8' }).ele(GPX_NS, 'gpx', {
    version: '1.1', creator: 'Sargs',
    'xmlns:xsi': XSI_NS, 'xsi:schemaLocation': `${GPX_NS} http://www.topografix.com/GPX/1/1/gpx.xsd`,
  });
  // Element order matters in GPX: the schema is a sequence.
  const meta = gpx.ele('metadata');
  meta.ele('name').txt(name);
  meta.ele('desc').txt(desc);
  meta.ele('time').txt(f.start);
  const trk = gpx.ele('trk');
  trk.ele('name').txt(name);
  trk.ele('desc').txt(desc);
  trk.ele('type').txt(xmlText(f.vehicleType));
  trk.ele('trkseg').com(TRKPTS_MARKER);
  // xmlbuilder2 spends ~150 µs per trkpt (an hour's flight: seconds of a blocked event
  // loop), so the points are written as text: numbers and ISO times need no escaping.
  const points = f.track.map((p) => `<trkpt lat="${deg(p.lat)}" lon="${deg(p.lon)}"><ele>${metres(p.altMsl)}</ele><time>${iso(p.timeMs)}</time></trkpt>`);
  return gpx.end({ prettyPrint: true }).replace(`<!--${TRKPTS_MARKER}-->`, points.join('\n      '));
}
