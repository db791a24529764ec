import type { SiteView, VehicleView } from '@sargs/shared/protocol/index';
import type { CameraPreset } from '@sargs/shared/survey/camera-presets';
import type { AreaGeometry, LatLon } from '@sargs/shared/survey/geojson';
import { api } from '../lib/api';
import { h } from '../lib/dom';
import { PlannerForm } from './planner-form';
import { PlannerMap, type PlanView, type ZoneOutline } from './planner-map';
import { downloadExport, estimatesList, findingsList } from './planner-results';

interface SavedArea { id: string; name: string; geometry: AreaGeometry; areaM2: number }

const PLAN_DELAY_MS = 300;

/**
 * The survey planner: draw the area on the map (a click adds a corner) or import a GeoJSON or
 * KML file, choose camera and parameters, and see the lines, photo points, estimates and rule
 * findings follow every change. The plan exports to QGroundControl, Mission Planner, Google
 * Earth or GIS, and uploads to a vehicle connected at the site. Planning happens on the hub,
 * with the site's zones, so what is shown is what will be exported and uploaded.
 */
export function plannerPage(root: HTMLElement): () => void {
  let areas: SavedArea[] = [];
  let area: AreaGeometry | null = null;
  let drawing: LatLon[] = [];
  let plan: PlanView | null = null;
  let planSeq = 0;
  let timer: number | undefined;
  let form: PlannerForm | undefined;

  const siteSelect = h('select', { name: 'site', 'data-testid': 'planner-site' }) as HTMLSelectElement;
  const areaSelect = h('select', { name: 'area', 'data-testid': 'planner-areas' }, h('option', { value: '' }, '—')) as HTMLSelectElement;
  const fileInput = h('input', { type: 'file', accept: '.kml,.geojson,.json', 'data-testid': 'area-file' }) as HTMLInputElement;
  const areaName = h('input', { name: 'areaName', placeholder: 'name of the drawn area' }) as HTMLInputElement;
  const areaStatus = h('p', { class: 'note', 'data-testid': 'area-status' });
  const planStatus = h('p', { class: 'note', 'data-testid': 'plan-status' }, 'Draw or import an area to plan a survey.');
  const results = h('div', {});
  const flightSelect = h('select', { name: 'flight', 'data-testid': 'planner-flight' }) as HTMLSelectElement;
  const authorisation = h('input', { name: 'authorisation', placeholder: 'e.g. LBA-UAS-2024-123' }) as HTMLInputElement;
  const exportStatus = h('p', { class: 'note', 'data-testid': 'export-status' });
  const vehicleSelect = h('select', { name: 'vehicle', 'data-testid': 'planner-vehicle' }) as HTMLSelectElement;
  const uploadStatus = h('p', { class: 'note', 'data-testid': 'upload-status' });
  const mapEl = h('div', { id: 'planner-map', 'data-testid': 'planner-map' });
  const paramsSlot = h('div', {});
  const say = (el: HTMLElement, text: string, error = false) => { el.textContent = text; el.classList.toggle('error', error); };
  const button = (text: string, onclick: () => void, testid?: string) => h('button', { type: 'button', onclick, ...(testid ? { 'data-testid': testid } : {}) }, text);

  root.replaceChildren(h('div', { class: 'planner' },
    h('h2', {}, 'Survey planner'),
    h('section', { class: 'card' },
      h('div', { class: 'planner-row' }, h('label', {}, 'Site', siteSelect), h('label', {}, 'Saved areas', areaSelect),
        button('Delete area', () => void deleteArea())),
      h('div', { class: 'planner-row' }, h('label', {}, 'Import a GeoJSON or KML file', fileInput)),
      h('div', { class: 'planner-row' }, h('span', { class: 'note' }, 'Or click on the map to add corners.'),
        button('Clear drawing', () => { drawing = []; map.showDrawing(drawing); }), areaName, button('Save drawn area', () => void saveDrawn())),
      areaStatus),
    mapEl,
    h('div', { class: 'planner-columns' },
      h('section', { class: 'card' }, h('h3', {}, 'Camera and flight'), paramsSlot),
      h('section', { class: 'card' }, h('h3', {}, 'Plan'), planStatus, results,
        h('div', { class: 'planner-row' }, h('label', {}, 'Authorisation (if you hold one)', authorisation)),
        h('div', { class: 'planner-row' }, h('label', {}, 'Flight', flightSelect),
          button('Download .plan', () => void exportAs('plan'), 'download-plan'), button('Download WPL', () => void exportAs('waypoints')),
          button('KML', () => void exportAs('kml')), button('GeoJSON', () => void exportAs('geojson'))),
        exportStatus,
        h('h3', {}, 'Upload to a vehicle'),
        h('div', { class: 'planner-row' }, h('label', {}, 'Vehicle', vehicleSelect), button('Upload mission', () => void upload(), 'upload-mission')),
        uploadStatus))));

  const map = new PlannerMap(mapEl, (p) => {
    drawing = [...drawing, p];
    map.showDrawing(drawing);
    if (drawing.length >= 3) setArea({ type: 'Polygon', coordinates: [[...drawing, drawing[0] as LatLon].map((q) => [q.lon, q.lat])] }, false);
  });

  const siteId = () => siteSelect.value || undefined;
  const missionBody = () => {
    const params = form?.read();
    if (!area || !params || 'missing' in params) return undefined;
    const flight = plan && plan.flights.length > 1 ? { flight: Number(flightSelect.value) } : {};
    const auth = authorisation.value.trim();
    return { survey: { area, ...params }, ...flight, ...(auth ? { authorisation: auth } : {}) };
  };

  function setArea(next: AreaGeometry | null, fit: boolean): void {
    area = next;
    map.showArea(area);
    if (area && fit) map.fit(area);
    schedulePlan();
  }

  function schedulePlan(): void {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void runPlan(), PLAN_DELAY_MS);
  }

  async function runPlan(): Promise<void> {
    const params = form?.read();
    if (!area || !params) return;
    if ('missing' in params) return say(planStatus, `Fill in: ${params.missing}.`, true);
    const seq = ++planSeq;
    say(planStatus, 'Planning…');
    const auth = authorisation.value.trim();
    try {
      const next = await api<PlanView>('POST', '/api/survey/plan', { area, ...params, ...(siteId() ? { siteId: siteId() } : {}), ...(auth ? { authorisation: auth } : {}) });
      if (seq !== planSeq) return; // a newer change is already being planned
      plan = next;
      map.showPlan(plan);
      flightSelect.replaceChildren(...plan.flights.map((f) => h('option', { value: String(f.index) }, `${f.index} of ${plan!.flights.length}`)));
      results.replaceChildren(estimatesList(plan), findingsList(plan.check.findings));
      say(planStatus, plan.check.mustNotFly ? 'This plan must not fly as it is: see below.' : 'Plan ready.', plan.check.mustNotFly);
    } catch (err) {
      if (seq !== planSeq) return;
      plan = null;
      map.showPlan(null);
      results.replaceChildren();
      say(planStatus, (err as Error).message, true);
    }
  }

  async function loadSite(): Promise<void> {
    const id = siteId();
    areas = [];
    areaSelect.replaceChildren(h('option', { value: '' }, '—'));
    vehicleSelect.replaceChildren();
    if (!id) return;
    const [saved, zones, vehicles] = await Promise.all([
      api<{ areas: SavedArea[] }>('GET', `/api/sites/${encodeURIComponent(id)}/areas`),
      api<{ global: { zones: ZoneOutline[] } | null; site: { zones: ZoneOutline[] } | null }>('GET', `/api/survey/zones?siteId=${encodeURIComponent(id)}`),
      api<VehicleView[]>('GET', `/api/vehicles?siteId=${encodeURIComponent(id)}`).catch(() => []),
    ]);
    areas = saved.areas;
    areaSelect.append(...areas.map((a) => h('option', { value: a.id }, a.name)));
    map.showZones([...(zones.global?.zones ?? []), ...(zones.site?.zones ?? [])]);
    vehicleSelect.replaceChildren(...vehicles.map((v) => h('option', { value: String(v.telemetry.systemId) },
      `system ${v.telemetry.systemId} · ${v.telemetry.vehicleType} (${v.telemetry.autopilot})${v.telemetry.linkUp ? '' : ' — link lost'}`)));
    if (!vehicles.length) vehicleSelect.append(h('option', { value: '' }, 'no vehicle connected'));
  }

  async function importFile(): Promise<void> {
    const file = fileInput.files?.[0];
    const id = siteId();
    if (!file) return;
    if (!id) return say(areaStatus, 'Choose a site first: areas are kept per site.', true);
    try {
      const saved = await api<SavedArea>('POST', `/api/sites/${encodeURIComponent(id)}/areas`, { name: file.name.replace(/\.[^.]*$/, ''), file: { name: file.name, text: await file.text() } });
      areas.push(saved);
      areaSelect.append(h('option', { value: saved.id }, saved.name));
      areaSelect.value = saved.id;
      drawing = [];
      map.showDrawing(drawing);
      setArea(saved.geometry, true);
      say(areaStatus, `Imported "${saved.name}" (${(saved.areaM2 / 10_000).toFixed(2)} ha) and saved it for this site.`);
    } catch (err) {
      say(areaStatus, `Not imported: ${(err as Error).message}`, true);
    } finally {
      fileInput.value = '';
    }
  }

  async function saveDrawn(): Promise<void> {
    const id = siteId();
    if (!id || drawing.length < 3 || !area) return say(areaStatus, 'Choose a site and draw at least three corners first.', true);
    try {
      const saved = await api<SavedArea>('POST', `/api/sites/${encodeURIComponent(id)}/areas`, { name: areaName.value.trim() || `Area ${new Date().toLocaleString()}`, geometry: area });
      areas.push(saved);
      areaSelect.append(h('option', { value: saved.id }, saved.name));
      areaSelect.value = saved.id;
      say(areaStatus, `Saved "${saved.name}".`);
    } catch (err) {
      say(areaStatus, (err as Error).message, true);
    }
  }

  async function deleteArea(): Promise<void> {
    const id = siteId();
    const chosen = areas.find((a) => a.id === areaSelect.value);
    if (!id || !chosen) return;
    try {
      await api('DELETE', `/api/sites/${encodeURIComponent(id)}/areas/${chosen.id}`);
      areas = areas.filter((a) => a !== chosen);
      areaSelect.querySelector(`option[value="${chosen.id}"]`)?.remove();
      say(areaStatus, `Deleted "${chosen.name}".`);
    } catch (err) {
      say(areaStatus, (err as Error).message, true);
    }
  }

  async function exportAs(format: string): Promise<void> {
    const body = missionBody();
    if (!body) return say(exportStatus, 'Plan a survey first.', true);
    try {
      say(exportStatus, `Saved ${await downloadExport(format, { ...body, ...(siteId() ? { siteId: siteId() } : {}) })}.`);
    } catch (err) {
      say(exportStatus, `Not exported: ${(err as Error).message}`, true);
    }
  }

  async function upload(): Promise<void> {
    const body = missionBody();
    const id = siteId();
    if (!body || !id || !vehicleSelect.value) return say(uploadStatus, 'Plan a survey and choose a connected vehicle first.', true);
    say(uploadStatus, 'Uploading…');
    try {
      const r = await api<{ items: number; retries: number; durationMs: number }>('POST', `/api/sites/${encodeURIComponent(id)}/vehicles/${vehicleSelect.value}/mission`, body);
      say(uploadStatus, `Uploaded ${r.items} items to system ${vehicleSelect.value} in ${(r.durationMs / 1000).toFixed(1)} s${r.retries ? ` (${r.retries} resends)` : ''}.`);
    } catch (err) {
      say(uploadStatus, `Not uploaded: ${(err as Error).message}`, true);
    }
  }

  siteSelect.addEventListener('change', () => { void loadSite().then(schedulePlan); });
  areaSelect.addEventListener('change', () => {
    const chosen = areas.find((a) => a.id === areaSelect.value);
    if (chosen) { drawing = []; map.showDrawing(drawing); setArea(chosen.geometry, true); }
  });
  fileInput.addEventListener('change', () => void importFile());
  authorisation.addEventListener('input', schedulePlan);

  void Promise.all([api<{ cameras: CameraPreset[] }>('GET', '/api/survey/cameras'), api<{ sites: SiteView[] }>('GET', '/api/fleet')]).then(([cams, fleet]) => {
    form = new PlannerForm(cams.cameras, schedulePlan);
    paramsSlot.replaceChildren(form.el);
    siteSelect.replaceChildren(...fleet.sites.map((s) => h('option', { value: s.id }, s.name)));
    if (!fleet.sites.length) siteSelect.append(h('option', { value: '' }, 'no sites yet'));
    return loadSite();
  }).catch((err: Error) => say(areaStatus, err.message, true));

  return () => { window.clearTimeout(timer); map.destroy(); };
}
