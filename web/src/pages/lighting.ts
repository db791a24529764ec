import type { SiteView } from '@sargs/shared/protocol/console-link';
import type { LightingSceneView, LightingSchedule, LightingState, LightingUniverseView } from '@sargs/shared/protocol/lighting';
import { api, type SessionUser } from '../lib/api';
import { formValues, h } from '../lib/dom';
import { LiveLink } from '../lib/live';

interface SiteLighting { current: boolean; fetchedAt: string | null; state: LightingState | null; problem: string | null }

const time = (iso: string) => new Date(iso).toLocaleString();

function scheduleText(s: LightingSchedule | null, timeZone: string): string {
  if (!s) return 'none (off unless switched)';
  if (s.type === 'fixed') return `daily ${s.on}–${s.off} (${timeZone})`;
  return `${s.from ?? 'sunset'} → ${s.to ?? 'sunrise'}`;
}

function whyText(sc: LightingSceneView): string {
  if (sc.override) return `switched ${sc.override.state} by ${sc.override.by} until ${time(sc.override.until)}; then the schedule resumes`;
  return sc.cause === 'schedule' ? 'schedule' : 'no schedule';
}

/** Channels that are not 0, as "channel=value"; a dark universe says so. */
function valuesText(u: LightingUniverseView): string {
  const lit = u.values.map((v, i) => [i + 1, v] as const).filter(([, v]) => v > 0);
  return lit.length ? lit.map(([ch, v]) => `${ch}=${v}`).join(' ') : 'all channels 0 (dark)';
}

/**
 * Per site: its scenes (state, why, schedule, next switch), a manual switch with an expiry
 * for IT staff, and what each DMX universe is sending now with its interface's health.
 * Refreshed when the hub says a site's lighting changed, and every 30 s for the clock.
 */
export function lightingPage(root: HTMLElement, user: SessionUser): () => void {
  const canSwitch = user.role === 'admin' || user.role === 'operator';
  const panels = new Map<string, HTMLElement>();
  const sites = new Map<string, SiteView>();
  const cameraNames = new Map<string, string>();
  const list = h('div', { id: 'lighting' }, h('p', {}, 'Loading…'));

  const sceneRow = (site: SiteView, sc: LightingSceneView, tz: string, note: HTMLElement): HTMLElement => {
    const act = (method: string, body?: unknown) => {
      note.textContent = 'Asking the site…';
      api<SiteLighting>(method, `/api/sites/${site.id}/lighting/scenes/${encodeURIComponent(sc.name)}/override`, body)
        .then((v) => { render(site, v); }, (err: Error) => { note.textContent = err.message; });
    };
    const form = h('form', { class: 'switch' },
      h('select', { name: 'state' }, h('option', { value: 'on' }, 'on'), h('option', { value: 'off' }, 'off')),
      h('label', {}, 'for (minutes)', h('input', { name: 'minutes', type: 'number', min: '1', max: '10080', value: '60', required: true })),
      h('button', { type: 'submit' }, 'Switch')) as HTMLFormElement;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = formValues(form);
      act('POST', { state: f.state, minutes: Number(f.minutes) });
    });
    const next = sc.nextChange ? `${time(sc.nextChange)} (${sc.scheduled ? 'off' : 'on'})` : '–';
    return h('tr', { 'data-scene': sc.name },
      h('td', {}, sc.name),
      h('td', {}, h('span', { class: `state ${sc.on ? 'online' : 'offline'}`, 'data-testid': 'scene-state' }, sc.on ? 'on' : 'off')),
      h('td', { 'data-testid': 'scene-why' }, whyText(sc)),
      h('td', {}, scheduleText(sc.schedule, tz)),
      h('td', { 'data-testid': 'scene-next' }, next),
      h('td', {}, sc.cameras.map((id) => cameraNames.get(id) ?? id).join(', ') || '–'),
      canSwitch ? h('td', {}, form, sc.override ? h('button', { type: 'button', class: 'resume', onclick: () => act('DELETE') }, 'Resume schedule') : null) : null);
  };

  const universeRow = (u: LightingUniverseView): HTMLElement => h('tr', { 'data-universe': String(u.universe) },
    h('td', {}, String(u.universe)),
    h('td', {}, `${u.driver} → ${u.target}`),
    h('td', {}, h('span', { class: `state ${u.status === 'up' ? 'online' : u.status === 'down' ? 'offline' : 'degraded'}`, 'data-testid': 'universe-status' }, u.status),
      u.problem ? h('div', { class: 'note', 'data-testid': 'universe-problem' }, `${u.problem} (since ${time(u.since)})`) : null),
    h('td', {}, h('span', { 'data-testid': 'universe-values' }, valuesText(u)),
      u.status === 'down' ? h('div', { class: 'note' }, 'not reaching the fixtures: the interface is down') : null));

  const render = (site: SiteView, v: SiteLighting): void => {
    const panel = panels.get(site.id) ?? h('section', { class: 'card', 'data-site': site.id });
    panels.set(site.id, panel);
    const note = h('p', { class: 'note', role: 'status' });
    const s = v.state;
    const freshness = v.current ? `As the site reported it at ${time(v.fetchedAt ?? '')}.`
      : s ? `The site cannot be asked (${v.problem}); this is what it reported at ${time(v.fetchedAt ?? '')}.` : `The site cannot be asked: ${v.problem}.`;
    panel.replaceChildren(...[
      h('h3', {}, site.name),
      h('p', { 'data-testid': 'lighting-freshness' }, freshness),
      s && s.setup.outputs.length === 0 ? h('p', {}, 'No lighting is set up at this site (agent configuration "lighting", or PUT /api/sites/<id>/lighting).') : null,
      s && s.scenes.length ? h('table', { class: 'scenes' },
        h('thead', {}, h('tr', {}, ...['Scene', 'State', 'Why', 'Schedule', 'Next switch', 'Cameras', ...(canSwitch ? ['Manual switch'] : [])].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...s.scenes.map((sc) => sceneRow(site, sc, s.timeZone, note)))) : null,
      s && s.universes.length ? h('table', { class: 'universes' },
        h('thead', {}, h('tr', {}, ...['Universe', 'Interface', 'Status', 'Output now'].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...s.universes.map(universeRow))) : null,
      note].filter((e) => e !== null));
  };

  const load = async (site: SiteView) => render(site, await api<SiteLighting>('GET', `/api/sites/${site.id}/lighting`));
  const loadAll = async () => {
    const fleet = await api<{ sites: SiteView[] }>('GET', '/api/fleet');
    for (const s of fleet.sites) sites.set(s.id, s);
    const ordered = [...sites.values()].sort((a, b) => a.name.localeCompare(b.name));
    await Promise.all(ordered.map(load));
    list.replaceChildren(...(ordered.length ? ordered.map((s) => panels.get(s.id)!) : [h('p', {}, 'No sites yet.')]));
  };
  const fail = (err: Error) => list.replaceChildren(h('p', { class: 'error' }, err.message));
  loadAll().catch(fail);

  const link = new LiveLink((m) => {
    if (m.type === 'fleet.snapshot') for (const c of m.body.cameras) cameraNames.set(c.info.id, c.info.name);
    else if (m.type === 'camera.changed') cameraNames.set(m.body.info.id, m.body.info.name);
    else if (m.type === 'lighting.changed') { const site = sites.get(m.body.siteId); if (site) void load(site).catch(fail); }
  }, () => undefined);
  link.start();
  const ticker = window.setInterval(() => { for (const s of sites.values()) void load(s).catch(() => undefined); }, 30_000);

  root.replaceChildren(h('div', {}, h('h2', {}, 'Site lighting'),
    h('p', { class: 'note' }, 'DMX512 floodlights and infrared illuminators: a manual switch lasts the minutes given, then the scene follows its schedule again. Every switch is in the audit log.'),
    list));
  return () => { link.stop(); window.clearInterval(ticker); };
}
