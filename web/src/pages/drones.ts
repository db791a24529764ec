import * as L from 'leaflet';
import type { SiteView, VehicleView } from '@sargs/shared/protocol/index';
import { api } from '../lib/api';
import { h } from '../lib/dom';
import { LiveLink } from '../lib/live';
import { droneMap } from '../lib/map';

const linkLabel = document.getElementById('link') as HTMLElement;
const SVG = 'http://www.w3.org/2000/svg';
const GPS_FIX = ['no GPS', 'no fix', '2D fix', '3D fix', 'DGPS', 'RTK float', 'RTK fixed', 'static', 'PPP'];

const keyOf = (v: VehicleView) => `${v.agentId}/${v.telemetry.vehicleKey}`;
const nameOf = (v: VehicleView) => `${v.telemetry.vehicleType} · system ${v.telemetry.systemId}`;
const num = (x: number | undefined, unit: string, digits = 0) => (x === undefined ? '–' : `${x.toFixed(digits)} ${unit}`);

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : new Date(iso).toLocaleString();
}

/** An arrow pointing along the heading (a dot when the heading is unknown), drawn as SVG. */
function markerIcon(): { el: HTMLElement; update: (v: VehicleView) => void } {
  const el = h('div', { class: 'vehicle-marker' });
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '28');
  svg.setAttribute('height', '28');
  const arrow = document.createElementNS(SVG, 'path');
  arrow.setAttribute('d', 'M12 2 L19 21 L12 16.5 L5 21 Z');
  const dot = document.createElementNS(SVG, 'circle');
  dot.setAttribute('cx', '12');
  dot.setAttribute('cy', '12');
  dot.setAttribute('r', '6');
  svg.append(arrow, dot);
  el.append(svg);
  return {
    el,
    update(v) {
      const t = v.telemetry;
      const heading = t.headingDeg;
      arrow.setAttribute('display', heading === undefined ? 'none' : 'inline');
      dot.setAttribute('display', heading === undefined ? 'inline' : 'none');
      if (heading !== undefined) arrow.setAttribute('transform', `rotate(${heading.toFixed(0)} 12 12)`);
      el.classList.toggle('lost', !t.linkUp);
      el.classList.toggle('armed', t.armed);
      el.classList.toggle('stale', !v.current);
    },
  };
}

function linkCell(v: VehicleView): HTMLElement {
  const t = v.telemetry;
  // Its agent went offline, or the agent stopped listing it: what is shown is the last report.
  if (!v.current) return h('span', { class: 'state degraded', 'data-testid': 'link-state' }, 'not reporting');
  if (!t.linkUp) return h('span', { class: 'state offline link-lost', 'data-testid': 'link-state' }, 'LINK LOST');
  return h('span', { class: 'state online', 'data-testid': 'link-state' }, 'link up',
    t.linkQualityPercent === undefined ? null : h('span', { class: 'note' }, ` ${t.linkQualityPercent.toFixed(0)} %`));
}

/**
 * The live map of vehicles: where each one is, which way it points, its height, speed,
 * battery, mode, arming, GPS and link. A vehicle whose link is lost stays on the map at
 * its last position, greyed and flagged, with a banner above the map.
 */
export function dronesPage(root: HTMLElement): () => void {
  const vehicles = new Map<string, VehicleView>();
  const markers = new Map<string, { marker: L.Marker; update: (v: VehicleView) => void }>();
  const sites = new Map<string, string>();
  const banner = h('div', { class: 'lost-banner', role: 'alert', 'data-testid': 'lost-banner' });
  const tbody = h('tbody', {});
  const empty = h('p', { 'data-testid': 'no-vehicles' });
  const mapEl = h('div', { id: 'drone-map', 'data-testid': 'drone-map' });
  const fitAll = h('button', { type: 'button' }, 'Show all vehicles');
  root.replaceChildren(h('div', {},
    h('h2', {}, 'Drones in the air'),
    banner, mapEl,
    h('p', {}, fitAll, ' ', h('a', { href: '#/flights' }, 'Flight logbook →')),
    h('section', { class: 'card' }, empty,
      h('table', { class: 'vehicles' }, h('thead', {}, h('tr', {}, ...['Vehicle', 'Site', 'Link', 'State', 'Height', 'Speed', 'Heading', 'Battery', 'GPS', 'Last heartbeat'].map((x) => h('th', {}, x)))), tbody))));
  const dm = droneMap(mapEl);
  let fitted = false;
  const positions = () => [...vehicles.values()].flatMap((v) => (v.telemetry.lat !== undefined && v.telemetry.lon !== undefined ? [[v.telemetry.lat, v.telemetry.lon] as [number, number]] : []));
  fitAll.addEventListener('click', () => dm.fit(positions(), 16));

  const placeMarker = (v: VehicleView) => {
    const key = keyOf(v);
    const t = v.telemetry;
    let m = markers.get(key);
    if (t.lat === undefined || t.lon === undefined) return;
    if (!m) {
      const icon = markerIcon();
      const marker = L.marker([t.lat, t.lon], { icon: L.divIcon({ html: icon.el, className: 'vehicle-icon', iconSize: [28, 28], iconAnchor: [14, 14] }), keyboard: false })
        .bindTooltip('', { permanent: true, direction: 'right', offset: [14, 0], className: 'vehicle-label' })
        .addTo(dm.map);
      m = { marker, update: icon.update };
      markers.set(key, m);
    }
    m.marker.setLatLng([t.lat, t.lon]);
    m.update(v);
    m.marker.setTooltipContent(`${nameOf(v)}${t.linkUp ? '' : ' — LINK LOST'} · ${num(t.altRelM, 'm')}`);
  };

  const row = (v: VehicleView) => {
    const t = v.telemetry;
    return h('tr', { 'data-vehicle': keyOf(v), class: `${t.linkUp ? '' : 'link-lost'}${v.current ? '' : ' stale'}` },
      h('td', {}, h('strong', {}, nameOf(v)), h('div', { class: 'note' }, t.autopilot), t.conflict ? h('div', { class: 'error' }, 'two vehicles share this system id') : null),
      h('td', {}, sites.get(v.siteId) ?? v.siteId),
      h('td', {}, linkCell(v)),
      h('td', { 'data-testid': 'vehicle-state' }, h('span', { class: t.armed ? 'state offline' : 'state' }, t.armed ? 'armed' : 'disarmed'), ` · ${t.mode}`),
      h('td', { 'data-testid': 'vehicle-height' }, num(t.altRelM, 'm', 1), h('div', { class: 'note' }, `${num(t.altMslM, 'm', 0)} MSL`)),
      h('td', {}, num(t.groundSpeedMps, 'm/s', 1)),
      h('td', {}, num(t.headingDeg, '°')),
      h('td', {}, num(t.batteryPercent, '%'), h('div', { class: 'note' }, num(t.batteryVoltageV, 'V', 1))),
      h('td', {}, t.gpsFix === undefined ? '–' : GPS_FIX[t.gpsFix] ?? `fix ${t.gpsFix}`, t.satellites === undefined ? null : h('div', { class: 'note' }, `${t.satellites} satellites`)),
      h('td', {}, ago(t.lastHeartbeatAt)));
  };

  const render = () => {
    const list = [...vehicles.values()].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
    tbody.replaceChildren(...list.map(row));
    empty.textContent = list.length ? '' : 'No vehicles are connected to any site.';
    const lost = list.filter((v) => v.current && !v.telemetry.linkUp);
    banner.replaceChildren(...lost.map((v) => h('p', {}, `Link lost: ${nameOf(v)} at ${sites.get(v.siteId) ?? v.siteId}, last heartbeat ${ago(v.telemetry.lastHeartbeatAt)}.`)));
    banner.hidden = lost.length === 0;
  };

  const apply = (v: VehicleView) => {
    vehicles.set(keyOf(v), v);
    placeMarker(v);
    if (!fitted && positions().length) { fitted = true; dm.fit(positions(), 16); }
  };

  const load = () => api<VehicleView[]>('GET', '/api/vehicles').then((list) => {
    vehicles.clear();
    for (const [key, m] of markers) if (!list.some((v) => keyOf(v) === key)) { m.marker.remove(); markers.delete(key); }
    list.forEach(apply);
    render();
  }, (err: Error) => { empty.textContent = err.message; });

  const link = new LiveLink((m) => {
    if (m.type === 'fleet.snapshot') {
      m.body.sites.forEach((s: SiteView) => sites.set(s.id, s.name));
      void load(); // (re)connected: start again from the hub's full list
    } else if (m.type === 'site.changed') sites.set(m.body.id, m.body.name);
    else if (m.type === 'vehicle.changed') { apply(m.body); render(); }
  }, (s) => { linkLabel.textContent = s === 'live' ? '● live' : s === 'reconnecting' ? '○ reconnecting…' : ''; linkLabel.dataset.state = s; });
  link.start();
  // "Last heartbeat … ago" keeps counting while nothing arrives, which is the point when a link is lost.
  const tick = window.setInterval(render, 1000);
  return () => { window.clearInterval(tick); link.stop(); dm.destroy(); linkLabel.textContent = ''; };
}
