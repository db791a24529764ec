import type { AgentView, CameraView, FleetSnapshot, SiteView } from '@sargs/shared/protocol/index';
import { api, type SessionUser } from '../lib/api';
import { formValues, h } from '../lib/dom';
import { LiveLink } from '../lib/live';
import { siteCameraTools } from './site-cameras';

const linkLabel = document.getElementById('link') as HTMLElement;

function ago(iso: string | null): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(iso).toLocaleString();
}

/** Sites and their agents, kept current by the hub's pushes. Returns a function that leaves the page. */
export function fleetPage(root: HTMLElement, user: SessionUser, signedOut: () => void): () => void {
  const sites = new Map<string, SiteView>();
  const agents = new Map<string, AgentView>();
  const cameras = new Map<string, CameraView>();
  // Kept across re-renders, so a half-typed camera address survives a live update.
  const tools = new Map<string, HTMLElement>();
  const toolsFor = (siteId: string) => {
    let t = tools.get(siteId);
    if (!t) { t = siteCameraTools(siteId); tools.set(siteId, t); }
    return t;
  };
  const list = h('div', { id: 'fleet' });
  const alertNote = h('p', { 'data-testid': 'alert-count' });
  const showAlerts = user.role === 'admin' || user.role === 'operator';
  const setAlertCount = (n: number) => {
    alertNote.replaceChildren(n ? h('a', { href: '#/alerts', class: 'state offline' }, `${n} alert${n === 1 ? '' : 's'} waiting for acknowledgement`) : 'No alerts waiting.');
  };
  if (showAlerts) void api<{ unacknowledged: number }>('GET', '/api/alerts?open=true&limit=1').then((r) => setAlertCount(r.unacknowledged), () => undefined);

  const render = () => {
    const sections = [...sites.values()].sort((a, b) => a.name.localeCompare(b.name)).map((site) => {
      const rows = [...agents.values()].filter((a) => a.siteId === site.id).sort((a, b) => a.name.localeCompare(b.name)).map((a) => {
        const state = a.revoked ? 'revoked' : a.online ? 'online' : 'offline';
        return h('tr', { 'data-agent': a.id },
          h('td', {}, a.name),
          h('td', {}, h('span', { class: `state ${state}`, 'data-testid': 'agent-state' }, state)),
          h('td', {}, a.online ? 'now' : ago(a.lastSeen)),
          h('td', {}, a.version ?? '–'),
          h('td', {}, a.hostname ?? '–'));
      });
      const siteCameras = [...cameras.values()].filter((c) => c.siteId === site.id).sort((a, b) => a.info.name.localeCompare(b.info.name));
      const count = (st: string) => siteCameras.filter((c) => c.health.state === st).length;
      return h('section', { class: 'card', 'data-site': site.id },
        h('h2', {}, site.name),
        siteCameras.length ? h('p', { class: 'counts', 'data-testid': 'site-counts' },
          h('span', { class: 'state online' }, `${count('online')} online`), ' · ',
          h('span', { class: 'state degraded' }, `${count('degraded')} degraded`), ' · ',
          h('span', { class: 'state offline' }, `${count('offline')} offline`)) : null,
        rows.length
          ? h('table', {}, h('thead', {}, h('tr', {}, ...['Agent', 'State', 'Last seen', 'Version', 'Host'].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows))
          : h('p', {}, 'No agents yet.'),
        siteCameras.length ? cameraTable(siteCameras) : null,
        user.role === 'admin' || user.role === 'operator' ? toolsFor(site.id) : null);
    });
    list.replaceChildren(...(sections.length ? sections : [h('p', {}, 'No sites yet.')]));
  };

  const link = new LiveLink((m) => {
    if (m.type === 'fleet.snapshot') {
      const snap: FleetSnapshot = m.body;
      sites.clear(); agents.clear();
      for (const s of snap.sites) sites.set(s.id, s);
      for (const a of snap.agents) agents.set(a.id, a);
      cameras.clear();
      for (const c of snap.cameras) cameras.set(`${c.agentId}/${c.info.id}`, c);
    } else if (m.type === 'alert.changed') { if (showAlerts) setAlertCount(m.body.unacknowledged); return; } else if (m.type === 'camera.changed') cameras.set(`${m.body.agentId}/${m.body.info.id}`, m.body);
    else if (m.type === 'agent.changed') agents.set(m.body.id, m.body);
    else if (m.type === 'site.changed') sites.set(m.body.id, m.body);
    else return;
    render();
  }, (state) => {
    linkLabel.textContent = state === 'live' ? '● live' : state === 'reconnecting' ? '○ reconnecting…' : '';
    linkLabel.dataset.state = state;
    if (state === 'signed-out') signedOut();
  });
  link.start();
  const ticker = window.setInterval(render, 10_000);

  const signOut = h('button', { type: 'button', id: 'sign-out', onclick: () => { void api('DELETE', '/api/session').then(signedOut); } }, 'Sign out');
  root.replaceChildren(h('div', {}, h('h2', {}, 'Sites and agents'), showAlerts ? alertNote : null, list, user.role === 'admin' ? addSiteForm() : null, signOut));
  return () => { link.stop(); window.clearInterval(ticker); linkLabel.textContent = ''; };
}

function cameraTable(list: CameraView[]): HTMLElement {
  const rows = list.map((c) => h('tr', { 'data-camera': c.info.id, class: c.current ? '' : 'stale' },
    h('td', {}, h('a', { href: `#/cameras/${encodeURIComponent(c.info.id)}` }, c.info.name)),
    h('td', {}, h('span', { class: `state ${c.health.state}`, 'data-testid': 'camera-state' }, c.health.state)),
    h('td', { 'data-testid': 'camera-reason' }, c.health.reason ?? ''),
    h('td', {}, ago(c.health.since)),
    h('td', {}, c.info.width && c.info.height ? `${c.info.width}×${c.info.height}` : '–'),
    h('td', {}, c.current ? '' : 'last known (agent offline)')));
  return h('table', { class: 'cameras' },
    h('thead', {}, h('tr', {}, ...['Camera', 'State', 'Reason', 'Since', 'Video', ''].map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows));
}

/** Creating a site shows its enrolment token once: it goes into the site agent's configuration. */
function addSiteForm(): HTMLElement {
  const out = h('div', { role: 'status' });
  const form = h('form', { class: 'card', id: 'add-site' },
    h('h3', {}, 'Add a site'),
    h('label', {}, 'Site name', h('input', { name: 'name', required: true, maxlength: '128' })),
    h('button', { type: 'submit' }, 'Create site and enrolment token'),
    out) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    api<{ enrolmentToken: string }>('POST', '/api/sites', formValues(form)).then((r) => {
      out.replaceChildren(h('p', {}, 'Enrolment token (shown once; put it in the agent configuration):'), h('p', { class: 'token' }, r.enrolmentToken));
      form.reset();
    }, (err: Error) => out.replaceChildren(h('p', { class: 'error' }, err.message)));
  });
  return form;
}
