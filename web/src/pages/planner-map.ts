import * as L from 'leaflet';
import type { AreaGeometry, LatLon } from '@sargs/shared/survey/geojson';
import type { Finding } from '@sargs/shared/survey/rules';
import { droneMap, type DroneMap } from '../lib/map';

/** What POST /api/survey/plan answers (hub/src/survey/survey-service.ts planView). */
export interface PlanView {
  area: AreaGeometry;
  camera: { altitudeM: number; gsdCm: number; lineSpacingM: number; triggerDistanceM: number; footprintSideM: number; footprintFrontM: number };
  angleDeg: number;
  home: LatLon;
  speedMps: number;
  flightBudgetS: number | null;
  estimates: { photoCount: number; pathLengthM: number; surveyLengthM: number; flightTimeS: number; areaM2: number; lineCount: number; flightCount: number };
  flights: {
    index: number;
    estimates: { photoCount: number; pathLengthM: number; flightTimeS: number };
    lines: [LatLon, LatLon][];
    photos: LatLon[];
    waypoints: (LatLon & { kind: string })[];
    itemCount: number;
  }[];
  check: { findings: Finding[]; mustNotFly: boolean; maxHeightM: number | null };
}

export interface ZoneOutline { name: string; restriction: string; volumes: { outline: AreaGeometry }[] }

const ll = (p: LatLon): L.LatLngTuple => [p.lat, p.lon];
/** GeoJSON rings are [lon, lat]; Leaflet wants [lat, lon]. */
const rings = (g: AreaGeometry): L.LatLngTuple[][][] => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates)
  .map((poly) => poly.map((ring) => ring.map((p) => [p[1] as number, p[0] as number] as L.LatLngTuple)));
const FLIGHT_COLOURS = ['#137333', '#1565c0', '#8e24aa', '#c75000', '#00838f'];

/**
 * The planner's map: the area (drawn or loaded), the vertices being drawn, the zones, and the
 * plan's route, flight lines, photo points and home. Photos go on a canvas: a large survey has
 * thousands of them, too many for one SVG element each.
 */
export class PlannerMap {
  private readonly dm: DroneMap;
  private readonly canvas = L.canvas({ padding: 0.2 });
  private readonly areaLayer = L.layerGroup();
  private readonly drawLayer = L.layerGroup();
  private readonly planLayer = L.layerGroup();
  private readonly zoneLayer = L.layerGroup();

  constructor(private readonly el: HTMLElement, onClick: (p: LatLon) => void) {
    el.style.height = '32rem';
    this.dm = droneMap(el);
    for (const layer of [this.zoneLayer, this.areaLayer, this.planLayer, this.drawLayer]) layer.addTo(this.dm.map);
    this.dm.map.on('click', (e: L.LeafletMouseEvent) => onClick({ lat: e.latlng.lat, lon: e.latlng.lng }));
  }

  showArea(area: AreaGeometry | null): void {
    this.areaLayer.clearLayers();
    if (area) L.polygon(rings(area), { color: '#1d4ed8', weight: 2, fillOpacity: 0.08, className: 'survey-area', interactive: false }).addTo(this.areaLayer);
  }

  /** The polygon being drawn: its vertices and outline so far. */
  showDrawing(vertices: LatLon[]): void {
    this.drawLayer.clearLayers();
    if (vertices.length > 1) L.polygon(vertices.map(ll), { color: '#c75000', weight: 2, dashArray: '4 4', fillOpacity: 0.05, interactive: false }).addTo(this.drawLayer);
    for (const v of vertices) L.circleMarker(ll(v), { radius: 4, color: '#c75000', fillOpacity: 1, className: 'draw-vertex', interactive: false }).addTo(this.drawLayer);
  }

  showZones(zones: ZoneOutline[]): void {
    this.zoneLayer.clearLayers();
    for (const z of zones) {
      const colour = z.restriction === 'PROHIBITED' ? '#b00020' : z.restriction === 'REQ_AUTHORISATION' ? '#c75000' : '#a0a000';
      for (const v of z.volumes) {
        L.polygon(rings(v.outline), { color: colour, weight: 1, fillOpacity: 0.12, className: 'survey-zone' })
          .bindTooltip(`${z.name} (${z.restriction})`).addTo(this.zoneLayer);
      }
    }
  }

  showPlan(plan: PlanView | null): void {
    this.planLayer.clearLayers();
    this.el.dataset.lines = '0';
    this.el.dataset.photos = '0';
    if (!plan) return;
    let lines = 0;
    let photos = 0;
    for (const f of plan.flights) {
      const colour = FLIGHT_COLOURS[(f.index - 1) % FLIGHT_COLOURS.length] as string;
      const route = [plan.home, ...f.waypoints, plan.home].map(ll);
      L.polyline(route, { color: '#c75000', weight: 1, opacity: 0.7, interactive: false, className: 'survey-route' }).addTo(this.planLayer);
      for (const [a, b] of f.lines) {
        L.polyline([ll(a), ll(b)], { color: colour, weight: 3, interactive: false, className: 'survey-line' }).addTo(this.planLayer);
        lines++;
      }
      for (const p of f.photos) {
        L.circleMarker(ll(p), { renderer: this.canvas, radius: 2, weight: 0, fillColor: '#1d2433', fillOpacity: 0.8, interactive: false }).addTo(this.planLayer);
        photos++;
      }
    }
    L.circleMarker(ll(plan.home), { radius: 6, color: '#fff', weight: 2, fillColor: '#b00020', fillOpacity: 1, className: 'survey-home' })
      .bindTooltip('Home (take-off and landing)').addTo(this.planLayer);
    this.el.dataset.lines = String(lines);
    this.el.dataset.photos = String(photos);
  }

  fit(area: AreaGeometry): void {
    this.dm.fit(rings(area).flat(2), 18);
  }

  destroy(): void {
    this.dm.destroy();
  }
}
