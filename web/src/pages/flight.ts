import * as L from 'leaflet';
import type { FlightView } from '@sargs/shared/protocol/index';
import { api } from '../lib/api';
import { altitudeChart, type AltitudeChart } from '../lib/chart';
import { formValues, h } from '../lib/dom';
import { battery, distance, duration, metres, speed, vehicleName, when } from '../lib/flight-format';
import { droneMap } from '../lib/map';

/** A track point as GET /api/flights/:id returns it (shared/src/mavlink/flights.ts TrackPoint). */
interface TrackPoint { timeMs: number; lat: number; lon: number; altMsl: number; altRel: number; groundSpeed: number }
interface FlightDetail {
  flight: FlightView;
  takeoff?: string;
  landing?: string;
  warnings: string[];
  editedAt: string | null;
  editedBy: string | null;
  /** Thinned for the map and chart (the downloads carry every point); `total` is the full count. */
  track: { points: TrackPoint[]; total: number };
}

const DOWNLOADS: [string, string][] = [['track.geojson', 'GeoJSON'], ['track.kml', 'KML'], ['track.gpx', 'GPX'], ['tlog', 'original tlog']];

function summary(d: FlightDetail, f: FlightView, site: string | undefined): HTMLElement {
  const items: [string, string, string][] = [
    ['Vehicle', `${vehicleName(f)} (${f.autopilot})`, 'vehicle'],
    ['Site', f.siteId ? site ?? f.siteId : 'uploaded by hand', 'site'],
    ['Start', when(f.start), 'start'],
    ['End', when(f.end), 'end'],
    ...(d.takeoff && d.landing ? [['Take-off / landing', `${when(d.takeoff)} / ${when(d.landing)}`, 'takeoff'] as [string, string, string]] : []),
    ['Duration', duration(f.durationS), 'duration'],
    ['Distance flown', distance(f.distanceM), 'distance'],
    ['Max height above home', metres(f.maxHeightM), 'height'],
    ['Max ground speed', speed(f.maxGroundSpeedMps), 'speed'],
    ['Battery used', battery(f.batteryUsedPercent), 'battery'],
    ['Log', `${(f.tlogBytes / 1e6).toFixed(2)} MB, SHA-256 ${f.tlogSha256.slice(0, 16)}…`, 'log'],
    ['Pilot', f.pilot ?? '–', 'pilot'],
  ];
  return h('div', {},
    h('dl', { class: 'flight-summary' }, ...items.flatMap(([k, v, id]) => [h('dt', {}, k), h('dd', { 'data-testid': `summary-${id}` }, v)])),
    // Why a flight may be cut short (a log that starts while armed, a torn file), in the hub's words.
    d.warnings.length ? h('ul', { class: 'note', 'data-testid': 'flight-warnings' }, ...d.warnings.map((w) => h('li', {}, w))) : null,
    d.editedBy && d.editedAt ? h('p', { class: 'note' }, `Pilot and notes last edited by ${d.editedBy}, ${when(d.editedAt)}.`) : null);
}

/** The pilot and notes, the only parts of a flight a person writes; saved with PATCH. */
function editor(f: FlightView, saved: (f: FlightView) => void): HTMLElement {
  const status = h('p', { class: 'note', role: 'status', 'data-testid': 'edit-status' });
  const form = h('form', { class: 'flight-edit', id: 'flight-edit' },
    h('label', {}, 'Pilot', h('input', { name: 'pilot', value: f.pilot ?? '', maxlength: '100', autocomplete: 'name' })),
    h('label', {}, 'Notes', h('textarea', { name: 'notes', rows: '4', maxlength: '4000' }, f.notes)),
    h('button', { type: 'submit' }, 'Save'), status) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = formValues(form);
    status.textContent = 'Saving…';
    api<FlightView | { flight: FlightView }>('PATCH', `/api/flights/${encodeURIComponent(f.id)}`, { pilot: v.pilot?.trim() ?? '', notes: v.notes ?? '' })
      .then((r) => { status.textContent = 'Saved.'; saved('flight' in r ? r.flight : r); }, (err: Error) => { status.textContent = err.message; });
  });
  return form;
}

/**
 * One flight: its summary, the pilot and notes, the track on a map with take-off and
 * landing marked, height and speed over time (the cursor on the chart shows the spot on
 * the map), and the downloads.
 */
export function flightPage(root: HTMLElement, flightId: string, role: string): () => void {
  const title = h('h2', {}, 'Flight');
  const body = h('div', {}, h('p', {}, 'Loading…'));
  root.replaceChildren(h('div', {}, h('p', {}, h('a', { href: '#/flights' }, '← Flight logbook')), title, body));
  let leave = () => undefined as void;
  let left = false;

  Promise.all([
    api<FlightDetail>('GET', `/api/flights/${encodeURIComponent(flightId)}`),
    api<{ sites: { id: string; name: string }[] }>('GET', '/api/fleet').catch(() => ({ sites: [] })),
  ]).then(([detail, fleet]) => {
    if (left) return;
    const f = detail.flight;
    const site = fleet.sites.find((s) => s.id === f.siteId)?.name;
    title.textContent = `Flight of ${when(f.start)}`;
    const summaryBox = h('div', {}, summary(detail, f, site));
    const canEdit = role === 'admin' || role === 'pilot';
    const track = detail.track.points;
    const mapEl = h('div', { id: 'flight-map', 'data-testid': 'flight-map' });
    const chartEl = h('div', { 'data-testid': 'altitude-chart' });
    const base = `/api/flights/${encodeURIComponent(f.id)}`;
    body.replaceChildren(
      h('section', { class: 'card' }, summaryBox,
        canEdit ? editor(f, (nf) => summaryBox.replaceChildren(summary({ ...detail, editedBy: null }, nf, site)))
          : f.notes ? h('p', { 'data-testid': 'flight-notes' }, f.notes) : null),
      h('section', { class: 'card' }, h('h3', {}, 'Track'), mapEl,
        h('p', { class: 'note', 'data-testid': 'track-points' }, track.length === detail.track.total
          ? `${track.length} position samples.` : `${track.length} of ${detail.track.total} position samples shown.`)),
      h('section', { class: 'card' }, h('h3', {}, 'Height and speed'), chartEl),
      h('section', { class: 'card' }, h('h3', {}, 'Downloads'),
        h('p', { class: 'downloads' }, ...DOWNLOADS.flatMap(([path, label]) => [h('a', { href: `${base}/${path}`, download: '' }, label), ' ']))));

    const dm = droneMap(mapEl);
    const line = track.map((p) => [p.lat, p.lon] as [number, number]);
    let cursor: L.CircleMarker | undefined;
    if (line.length) {
      // smoothFactor below 1: the drawn line keeps the small turns of a survey pattern.
      L.polyline(line, { color: '#1565c0', weight: 3, smoothFactor: 0.5, className: 'flight-track' }).addTo(dm.map);
      L.circleMarker(line[0]!, { radius: 6, color: '#137333', fillOpacity: 1, className: 'track-start' }).bindTooltip('take-off').addTo(dm.map);
      L.circleMarker(line[line.length - 1]!, { radius: 6, color: '#b00020', fillOpacity: 1, className: 'track-end' }).bindTooltip('landing').addTo(dm.map);
      cursor = L.circleMarker(line[0]!, { radius: 7, color: '#000', weight: 2, fillOpacity: 0, interactive: false });
      dm.fit(line);
    }
    let chart: AltitudeChart | undefined;
    chart = altitudeChart(chartEl, track.map((p) => ({ t: p.timeMs, heightM: p.altRel, speedMps: p.groundSpeed })), (i) => {
      const p = i === null ? undefined : track[i];
      if (!cursor) return;
      if (p) cursor.setLatLng([p.lat, p.lon]).addTo(dm.map); else cursor.remove();
    });
    leave = () => { chart?.destroy(); chart = undefined; dm.destroy(); };
  }, (err: Error) => { if (!left) body.replaceChildren(h('p', { class: 'error' }, err.message)); });

  return () => { left = true; leave(); };
}
