import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gpx, kml } from '@tmcw/togeojson';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { findFlightsInTlog, type Flight } from '../mavlink/flights.ts';
import { trackToGeoJson, trackToGpx, trackToKml } from './track-formats.ts';
import { fixturesDir } from '../../../test/support/paths';

const tlog = readFileSync(path.join(fixturesDir, 'mavlink', 'arducopter-auto-mission-2013-10-13-165851.tlog'));
const flight: Flight = findFlightsInTlog(tlog).flights[0]!;

/** Parses strictly: any XML error or warning fails the test. */
function parseXml(text: string) {
  const problems: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => { problems.push(`${level}: ${message}`); } }).parseFromString(text, 'text/xml');
  expect(problems).toEqual([]);
  return doc;
}

const textOf = (doc: ReturnType<typeof parseXml>, tag: string): string[] =>
  Array.from(doc.getElementsByTagName(tag)).map((e) => e.textContent ?? '');

const NASTY = 'Survey <north> & "east" \'field\'\u0001 ✈';
const NASTY_CLEAN = 'Survey <north> & "east" \'field\' ✈';

describe('flight track exports', () => {
  it('the copter flight has a track to export', () => {
    expect(flight.track.length).toBeGreaterThan(400);
  });

  it('GPX 1.1: one trkpt per fix with elevation and time, read back by a GPX reader', () => {
    const text = trackToGpx(flight);
    const doc = parseXml(text);
    const root = doc.documentElement!;
    expect([root.localName, root.namespaceURI, root.getAttribute('version')]).toEqual(['gpx', 'http://www.topografix.com/GPX/1/1', '1.1']);
    const points = Array.from(doc.getElementsByTagName('trkpt'));
    expect(points).toHaveLength(flight.track.length);
    const first = flight.track[0]!;
    expect(Number(points[0]!.getAttribute('lat'))).toBeCloseTo(first.lat, 7);
    expect(Number(points[0]!.getAttribute('lon'))).toBeCloseTo(first.lon, 7);
    expect(Number(textOf(doc, 'ele')[0])).toBeCloseTo(first.altMsl, 3);
    expect(textOf(doc, 'time').slice(1)).toEqual(flight.track.map((p) => new Date(p.timeMs).toISOString()));

    const geo = gpx(doc);
    const line = geo.features[0]!;
    expect(line.geometry?.type).toBe('LineString');
    expect((line.geometry as { coordinates: number[][] }).coordinates).toHaveLength(flight.track.length);
    expect(line.properties?.name).toBe('quadrotor 1, 2013-10-13 22:01:11 UTC');
  });

  it('KML: a LineString at absolute altitude with name, description, time span and facts', () => {
    const doc = parseXml(trackToKml(flight, { name: NASTY, properties: { pilot: 'Ilze & Co <ops>', notes: null } }));
    expect(doc.documentElement!.namespaceURI).toBe('http://www.opengis.net/kml/2.2');
    expect(textOf(doc, 'altitudeMode')).toEqual(['absolute']);
    expect(textOf(doc, 'begin')).toEqual([flight.start]);
    expect(textOf(doc, 'end')).toEqual([flight.end]);

    const geo = kml(doc);
    const placemark = geo.features[0]!;
    const coords = (placemark.geometry as { coordinates: number[][] }).coordinates;
    expect(coords).toHaveLength(flight.track.length);
    expect(coords[10]![2]).toBeCloseTo(flight.track[10]!.altMsl, 3);
    expect(placemark.properties?.name).toBe(NASTY_CLEAN);
    expect(placemark.properties?.description).toMatch(/Max height above home: 100\.8 m/);
    expect(placemark.properties).toMatchObject({ pilot: 'Ilze & Co <ops>', maxHeightM: '100.76', durationS: '334.484' });
  });

  it('GPX escapes what users type and drops characters XML cannot carry', () => {
    const doc = parseXml(trackToGpx(flight, { name: NASTY, description: 'line 1\nline 2 </desc>' }));
    expect(textOf(doc, 'name')).toEqual([NASTY_CLEAN, NASTY_CLEAN]);
    expect(textOf(doc, 'desc')[0]).toBe('line 1\nline 2 </desc>');
  });

  it('GeoJSON: a LineString of [lon, lat, alt] with the summary and per-point times', () => {
    const fc = JSON.parse(JSON.stringify(trackToGeoJson(flight, { properties: { site: 'Depot' } })));
    expect(fc.type).toBe('FeatureCollection');
    const f = fc.features[0];
    expect(f.geometry.type).toBe('LineString');
    expect(f.geometry.coordinates).toHaveLength(flight.track.length);
    expect(f.geometry.coordinates[0]).toEqual([flight.track[0]!.lon, flight.track[0]!.lat, flight.track[0]!.altMsl]);
    expect(f.properties).toMatchObject({ systemId: 1, vehicleType: 'quadrotor', start: flight.start, durationS: flight.durationS, site: 'Depot' });
    expect(f.properties.coordinateProperties.times).toHaveLength(flight.track.length);
  });

  it('short tracks stay valid: one fix is a Point, none is no geometry', () => {
    const one = { ...flight, track: flight.track.slice(0, 1) };
    const none = { ...flight, track: [] };
    expect(trackToGeoJson(one).features[0]!.geometry?.type).toBe('Point');
    expect(trackToGeoJson(none).features[0]!.geometry).toBeNull();
    expect(parseXml(trackToKml(one)).getElementsByTagName('Point')).toHaveLength(1);
    expect(parseXml(trackToKml(none)).getElementsByTagName('coordinates')).toHaveLength(0);
    expect(parseXml(trackToGpx(none)).getElementsByTagName('trkpt')).toHaveLength(0);
  });
});
