import { create } from 'xmlbuilder2';
import type { Feature, FeatureCollection, LatLon } from '../geojson';
import type { SurveyPlan } from '../planner';

/**
 * The planned lines for GIS tools and Google Earth: per flight, the route flown (home legs
 * included), each flight line, and the photo positions. GeoJSON is [lon, lat] (RFC 7946);
 * KML coordinates are lon,lat,alt with the altitude relative to the ground.
 */

const lonLat = (p: LatLon) => [p.lon, p.lat];

export function planToGeoJson(plan: SurveyPlan): FeatureCollection {
  const features: Feature[] = [{ type: 'Feature', geometry: { type: 'Point', coordinates: lonLat(plan.home) }, properties: { kind: 'home' } }];
  for (const f of plan.flights) {
    features.push({
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: [plan.home, ...f.waypoints, plan.home].map(lonLat) },
      properties: { kind: 'route', flight: f.index, photoCount: f.estimates.photoCount, flightTimeS: Math.round(f.estimates.flightTimeS) },
    });
    f.lines.forEach(([a, b], i) => features.push({
      type: 'Feature', geometry: { type: 'LineString', coordinates: [lonLat(a), lonLat(b)] }, properties: { kind: 'line', flight: f.index, line: i + 1 },
    }));
    for (const p of f.photos) {
      features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: lonLat(p) }, properties: { kind: 'photo', flight: f.index } });
    }
  }
  return { type: 'FeatureCollection', features };
}

export function planToKml(plan: SurveyPlan, name = 'Survey plan'): string {
  const alt = plan.camera.altitudeM;
  const coords = (pts: LatLon[]) => pts.map((p) => `${p.lon},${p.lat},${alt.toFixed(1)}`).join(' ');
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('kml', { xmlns: 'http://www.opengis.net/kml/2.2' });
  const doc = root.ele('Document');
  doc.ele('name').txt(name);
  doc.ele('description').txt(
    `GSD ${plan.camera.gsdCm.toFixed(2)} cm/px at ${alt.toFixed(1)} m, line spacing ${plan.camera.lineSpacingM.toFixed(1)} m, ` +
    `trigger distance ${plan.camera.triggerDistanceM.toFixed(1)} m, ${plan.estimates.photoCount} photos, ${plan.flights.length} flight(s)`);
  doc.ele('Style', { id: 'route' }).ele('LineStyle').ele('color').txt('ff00a5ff').up().ele('width').txt('2');
  doc.ele('Style', { id: 'line' }).ele('LineStyle').ele('color').txt('ff0000ff').up().ele('width').txt('3');
  const home = doc.ele('Placemark');
  home.ele('name').txt('Home');
  home.ele('Point').ele('coordinates').txt(`${plan.home.lon},${plan.home.lat},0`);
  for (const f of plan.flights) {
    const folder = doc.ele('Folder');
    folder.ele('name').txt(`Flight ${f.index}`);
    const route = folder.ele('Placemark');
    route.ele('name').txt(`Flight ${f.index} route`);
    route.ele('styleUrl').txt('#route');
    const ls = route.ele('LineString');
    ls.ele('altitudeMode').txt('relativeToGround');
    ls.ele('coordinates').txt(coords([plan.home, ...f.waypoints, plan.home]));
    f.lines.forEach(([a, b], i) => {
      const pm = folder.ele('Placemark');
      pm.ele('name').txt(`Flight ${f.index} line ${i + 1}`);
      pm.ele('styleUrl').txt('#line');
      const l = pm.ele('LineString');
      l.ele('altitudeMode').txt('relativeToGround');
      l.ele('coordinates').txt(coords([a, b]));
    });
  }
  return root.end({ prettyPrint: true });
}
