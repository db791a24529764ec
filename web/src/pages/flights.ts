import type { FlightView, SiteView } from '@sargs/shared/protocol/index';
import { api } from '../lib/api';
import { formValues, h } from '../lib/dom';
import { battery, distance, duration, metres, speed, vehicleName, when } from '../lib/flight-format';
import { LiveLink } from '../lib/live';

const linkLabel = document.getElementById('link') as HTMLElement;
const FILTERS = ['site', 'pilot', 'vehicle', 'from', 'to'] as const;

/** A `yyyy-mm-dd` date input as the start of that local day, or of the next one (`to` is inclusive). */
const dayStart = (day: string, next = false) => {
  const d = new Date(`${day}T00:00:00`);
  if (next) d.setDate(d.getDate() + 1);
  return d.toISOString();
};

/** The filters kept in the address (`#/flights?site=…`), so a reload or a shared link shows the same list. */
function filtersFromHash(): Record<string, string> {
  const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return Object.fromEntries(FILTERS.flatMap((k) => (q.get(k) ? [[k, q.get(k) ?? '']] : [])));
}

/**
 * The flight logbook: every flight, newest first, filtered by site, pilot, vehicle and
 * date, with a form to upload a tlog by hand. New flights appear as the hub files them.
 */
export function flightsPage(root: HTMLElement, role: string): () => void {
  let filters = filtersFromHash();
  const sites = new Map<string, string>();
  const tbody = h('tbody', {});
  const count = h('p', { 'data-testid': 'flight-count', role: 'status' });
  const siteSelect = h('select', { name: 'site' }, h('option', { value: '' }, 'All sites')) as HTMLSelectElement;
  // Free text (the hub matches a system id, or part of the type or autopilot), with the vehicles seen so far offered.
  const vehicles = h('datalist', { id: 'flight-vehicles' });
  const filterForm = h('form', { class: 'filters footage', id: 'flight-filters' },
    h('label', {}, 'Site', siteSelect),
    h('label', {}, 'Pilot', h('input', { name: 'pilot', value: filters.pilot ?? '', maxlength: '100' })),
    h('label', {}, 'Vehicle', h('input', { name: 'vehicle', value: filters.vehicle ?? '', list: 'flight-vehicles', placeholder: 'system id or type', maxlength: '64' }), vehicles),
    h('label', {}, 'From', h('input', { name: 'from', type: 'date', value: filters.from ?? '' })),
    h('label', {}, 'To', h('input', { name: 'to', type: 'date', value: filters.to ?? '' })),
    h('button', { type: 'submit' }, 'Filter'),
    h('button', { type: 'reset' }, 'Clear')) as HTMLFormElement;

  const option = (select: HTMLSelectElement | HTMLElement, value: string, text: string) => {
    if ([...select.querySelectorAll('option')].some((o) => o.value === value)) return;
    select.append(h('option', { value }, text));
    if (select instanceof HTMLSelectElement && filters[select.name] === value) select.value = value;
  };
  const uploadSite = h('select', { name: 'site' }, h('option', { value: '' }, 'No site')) as HTMLSelectElement;
  const refreshSites = () => { for (const [id, name] of sites) { option(siteSelect, id, name); option(uploadSite, id, name); } };

  const row = (f: FlightView) => h('tr', { 'data-flight': f.id },
    h('td', {}, h('a', { href: `#/flights/${encodeURIComponent(f.id)}` }, when(f.start))),
    h('td', { 'data-testid': 'flight-duration' }, duration(f.durationS)),
    h('td', {}, vehicleName(f)),
    h('td', {}, f.siteId ? sites.get(f.siteId) ?? f.siteId : h('span', { class: 'note' }, 'uploaded')),
    h('td', { 'data-testid': 'flight-pilot' }, f.pilot ?? '–'),
    h('td', { 'data-testid': 'flight-height' }, metres(f.maxHeightM)),
    h('td', {}, distance(f.distanceM)),
    h('td', {}, speed(f.maxGroundSpeedMps)),
    h('td', {}, battery(f.batteryUsedPercent)));

  const load = () => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, k === 'from' ? dayStart(v) : k === 'to' ? dayStart(v, true) : v);
    api<{ flights: FlightView[]; total: number }>('GET', `/api/flights${q.toString() ? `?${q.toString()}` : ''}`).then((r) => {
      const sorted = [...r.flights].sort((a, b) => b.start.localeCompare(a.start));
      for (const f of sorted) option(vehicles, String(f.systemId), vehicleName(f));
      tbody.replaceChildren(...sorted.map(row));
      const air = sorted.reduce((s, f) => s + f.durationS, 0);
      count.textContent = !sorted.length ? 'No flights match.'
        : `${r.total > sorted.length ? `The newest ${sorted.length} of ${r.total} flights` : `${sorted.length} flight${sorted.length === 1 ? '' : 's'}`}, ${duration(air)} in the air.`;
    }, (err: Error) => { count.textContent = err.message; });
  };

  const apply = () => {
    filters = Object.fromEntries(Object.entries(formValues(filterForm)).filter(([, v]) => v.trim()).map(([k, v]) => [k, v.trim()]));
    const q = new URLSearchParams(filters).toString();
    // Kept in the address without a hashchange, so the page is not rebuilt.
    history.replaceState(null, '', `#/flights${q ? `?${q}` : ''}`);
    load();
  };
  filterForm.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  filterForm.addEventListener('reset', () => window.setTimeout(apply));

  const upload = h('form', { class: 'footage', id: 'flight-upload' },
    h('label', {}, 'tlog file', h('input', { name: 'tlog', type: 'file', accept: '.tlog,application/octet-stream', required: true })),
    h('label', {}, 'Flown from', uploadSite),
    h('button', { type: 'submit' }, 'Upload')) as HTMLFormElement;
  const uploadStatus = h('p', { class: 'note', role: 'status', 'data-testid': 'upload-status' });
  upload.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const file = (upload.elements.namedItem('tlog') as HTMLInputElement).files?.[0];
    if (!file) return;
    uploadStatus.textContent = `Reading ${file.name} (${(file.size / 1e6).toFixed(1)} MB)…`;
    const site = uploadSite.value ? `?site=${encodeURIComponent(uploadSite.value)}` : '';
    fetch(`/api/flights/upload${site}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file, credentials: 'same-origin' })
      .then(async (res) => {
        const data = (await res.json().catch(() => ({}))) as { error?: string; flights?: FlightView[]; warnings?: string[] };
        if (!res.ok) throw new Error(data.error ?? `HTTP ${res.status}`);
        const found = data.flights ?? [];
        uploadStatus.replaceChildren(`${file.name}: ${found.length} flight${found.length === 1 ? '' : 's'} found.`,
          ...found.map((f) => h('a', { href: `#/flights/${encodeURIComponent(f.id)}`, class: 'uploaded' }, ` ${when(f.start)}`)),
          ...(data.warnings ?? []).map((w) => h('div', {}, `Warning: ${w}`)));
        upload.reset();
        load();
      })
      .catch((err: Error) => { uploadStatus.textContent = `Upload failed: ${err.message}`; });
  });

  const link = new LiveLink((m) => {
    if (m.type === 'fleet.snapshot') {
      m.body.sites.forEach((s: SiteView) => sites.set(s.id, s.name));
      refreshSites();
      load();
    } else if (m.type === 'flight.changed') load();
  }, (s) => { linkLabel.textContent = s === 'live' ? '● live' : s === 'reconnecting' ? '○ reconnecting…' : ''; linkLabel.dataset.state = s; });
  link.start();

  root.replaceChildren(h('div', {},
    h('h2', {}, 'Flight logbook'),
    h('section', { class: 'card' }, filterForm, count,
      h('table', { class: 'flights' }, h('thead', {}, h('tr', {}, ...['Start', 'Duration', 'Vehicle', 'Site', 'Pilot', 'Max height', 'Distance', 'Max speed', 'Battery used'].map((x) => h('th', {}, x)))), tbody)),
    role === 'admin' || role === 'pilot' ? h('section', { class: 'card' }, h('h3', {}, 'Upload a tlog'),
      h('p', { class: 'note' }, 'A telemetry log from a ground station (Mission Planner, QGroundControl, MAVProxy): every flight in it is added to the logbook.'),
      upload, uploadStatus) : null));
  return () => { link.stop(); linkLabel.textContent = ''; };
}
