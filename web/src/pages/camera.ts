import { addressText, type CameraHealth, type CameraInfo, type CameraView } from '@sargs/shared/protocol/index';
import { api } from '../lib/api';
import { formValues, h } from '../lib/dom';
import { LiveLink } from '../lib/live';
import { uptime } from '../lib/uptime';
import { footageTools } from './camera-footage';
import { livePanel } from '../video/live-panel';
import { playbackPanel } from '../video/playback-panel';

const linkLabel = document.getElementById('link') as HTMLElement;
const DAY_MS = 86_400_000;

interface Ranges { ranges: { start: string; end: string }[]; gaps: { start: string; end: string }[]; bytes: number }
interface History { from: string; initial: CameraHealth | null; changes: CameraHealth[] }

const time = (iso: string) => new Date(iso).toLocaleString();

/** A 24-hour bar: recorded stretches filled, gaps empty, so a missing hour is visible at a glance. */
function timeline(r: Ranges, from: number, to: number): HTMLElement {
  const span = to - from;
  const bar = h('div', { class: 'timeline', 'data-testid': 'timeline', role: 'img', 'aria-label': 'recorded time in the chosen window' });
  for (const x of r.ranges) {
    const a = Math.max(from, Date.parse(x.start));
    const b = Math.min(to, Date.parse(x.end));
    if (b <= a) continue;
    const seg = h('span', { class: 'recorded', title: `${time(x.start)} – ${time(x.end)}` });
    seg.style.left = `${((a - from) / span) * 100}%`;
    seg.style.width = `${Math.max(0.2, ((b - a) / span) * 100)}%`;
    bar.append(seg);
  }
  return bar;
}

/** The address the agent uses and, when the camera reports another host (NAT, a stale address), that one too. */
function address(label: string, uri: string | undefined, reported: string | undefined, testId: string): HTMLElement {
  return h('p', { 'data-testid': testId }, `${label}: ${uri ? addressText(uri, reported) : 'none'}`);
}

/** What the camera is and offers: device, every profile, and the addresses of the one recorded. */
function cameraFacts(info: CameraInfo): Node[] {
  const device = [info.manufacturer, info.model].filter(Boolean).join(' ');
  const extra = [info.firmwareVersion ? `firmware ${info.firmwareVersion}` : '', info.serialNumber ? `serial ${info.serialNumber}` : ''].filter(Boolean).join(', ');
  const profiles = info.profiles ?? [];
  const main = profiles.find((p) => p.token === info.mainProfileToken);
  const role = (token: string) => [token === info.mainProfileToken ? 'recorded' : '', token === info.subProfileToken ? 'live grids' : ''].filter(Boolean).join(', ');
  return [
    h('p', {}, `${device || 'Unnamed device'}${extra ? ` (${extra})` : ''} at ${info.deviceUrl}`),
    main ? address('Stream', main.streamUri, main.reportedStreamUri, 'stream-address') : null,
    main ? address('Snapshot', main.snapshotUri, main.reportedSnapshotUri, 'snapshot-address') : null,
    profiles.length ? h('table', { 'data-testid': 'profiles' },
      h('thead', {}, h('tr', {}, ...['Profile', 'Name', 'Encoding', 'Resolution', 'Frame rate', 'Bitrate', 'Used for'].map((t) => h('th', {}, t)))),
      h('tbody', {}, ...profiles.map((p) => h('tr', { 'data-profile': p.token },
        h('td', {}, p.token), h('td', {}, p.name), h('td', {}, p.encoding), h('td', {}, `${p.width}×${p.height}`),
        h('td', {}, `${p.fps} fps`), h('td', {}, p.bitrate ? `${p.bitrate} kbit/s` : '–'), h('td', {}, role(p.token)))))) : null,
  ].filter((n): n is HTMLElement => n !== null);
}

/** One camera: live state, the latest picture, recent state changes and what was recorded. */
export function cameraPage(root: HTMLElement, cameraId: string, role: string): () => void {
  const state = h('p', { class: 'camera-state' }, 'Waiting for the hub…');
  const img = h('img', { alt: 'latest snapshot', class: 'snapshot', 'data-testid': 'snapshot' }) as HTMLImageElement;
  const snapNote = h('p', { class: 'note' });
  const changes = h('ol', { class: 'changes', 'data-testid': 'changes' });
  const availability = h('p', { 'data-testid': 'uptime' });
  const recorded = h('div', {});
  const title = h('h2', {}, 'Camera');
  const facts = h('section', { class: 'card', 'data-testid': 'camera-facts' }, h('h3', {}, 'Camera and streams'));

  const loadSnapshot = () => {
    snapNote.textContent = 'Fetching a snapshot…';
    fetch(`/api/cameras/${encodeURIComponent(cameraId)}/snapshot`, { credentials: 'same-origin' }).then(async (res) => {
      if (!res.ok) throw new Error(((await res.json().catch(() => ({}))) as { error?: string }).error ?? `HTTP ${res.status}`);
      const old = img.src;
      img.src = URL.createObjectURL(await res.blob());
      if (old.startsWith('blob:')) URL.revokeObjectURL(old);
      snapNote.textContent = `Taken ${time(res.headers.get('x-taken-at') ?? new Date().toISOString())}`;
    }).catch((err: Error) => { snapNote.textContent = `No snapshot: ${err.message}`; });
  };

  // The recordings search: a window the user picks (default the last 24 hours).
  let window: { from: number; to: number } | undefined;
  const localInput = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const search = h('form', { class: 'footage', id: 'search' },
    h('label', {}, 'From', h('input', { name: 'from', type: 'datetime-local', value: localInput(Date.now() - DAY_MS), required: true })),
    h('label', {}, 'To', h('input', { name: 'to', type: 'datetime-local', value: localInput(Date.now()), required: true })),
    h('button', { type: 'submit' }, 'Show recordings')) as HTMLFormElement;
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = formValues(search);
    window = { from: Date.parse(new Date(f.from ?? '').toISOString()), to: Date.parse(new Date(f.to ?? '').toISOString()) };
    loadHistory();
  });

  const loadHistory = () => {
    const to = window?.to ?? Date.now();
    const from = window?.from ?? to - DAY_MS;
    api<History>('GET', `/api/cameras/${encodeURIComponent(cameraId)}/history?days=7`).then((hist) => {
      const u = uptime(hist.initial, hist.changes, Date.parse(hist.from), Date.now());
      availability.textContent = `Recording ${(u.upFraction * 100).toFixed(2)} % of the last 7 days` +
        `${u.knownFraction < 0.99 ? ` (known for ${(u.knownFraction * 100).toFixed(0)} % of it)` : ''}; ` +
        `${u.outages} outage${u.outages === 1 ? '' : 's'}${u.outages ? `, the longest ${Math.round(u.longestOutageMs / 60_000)} min` : ''}.`;
      changes.replaceChildren(...hist.changes.slice(-20).reverse().map((c) => h('li', {}, `${time(c.since)}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`)));
      if (!hist.changes.length) changes.replaceChildren(h('li', {}, 'No changes in the last 7 days.'));
    }).catch((err: Error) => changes.replaceChildren(h('li', {}, err.message)));
    api<Ranges>('GET', `/api/cameras/${encodeURIComponent(cameraId)}/recordings?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`).then((r) => {
      recorded.replaceChildren(
        timeline(r, from, to),
        h('p', {}, `${(r.bytes / 1e6).toFixed(1)} MB recorded between ${time(new Date(from).toISOString())} and ${time(new Date(to).toISOString())}.`),
        r.gaps.length
          ? h('ul', { 'data-testid': 'gaps' }, ...r.gaps.map((g) => h('li', {}, `Gap ${time(g.start)} – ${time(g.end)}`)))
          : h('p', {}, 'No gaps.'));
    }).catch((err: Error) => recorded.replaceChildren(h('p', { class: 'error' }, err.message)));
  };

  const show = (c: CameraView) => {
    title.textContent = c.info.name;
    facts.replaceChildren(h('h3', {}, 'Camera and streams'), ...cameraFacts(c.info));
    const hh = c.health;
    state.replaceChildren(
      h('span', { class: `state ${hh.state}`, 'data-testid': 'camera-state' }, hh.state),
      ` ${hh.reason ? `(${hh.reason}) ` : ''}since ${time(hh.since)}${hh.detail ? ` — ${hh.detail}` : ''}${c.current ? '' : ' — last known, the site agent is offline'}`);
  };

  const link = new LiveLink((m) => {
    if (m.type === 'fleet.snapshot') {
      const c = m.body.cameras.find((x) => x.info.id === cameraId);
      if (c) show(c); else state.textContent = 'This camera is not known to the hub.';
    } else if (m.type === 'camera.changed' && m.body.info.id === cameraId) {
      show(m.body);
      loadHistory();
    }
  }, (s) => { linkLabel.textContent = s === 'live' ? '● live' : s === 'reconnecting' ? '○ reconnecting…' : ''; linkLabel.dataset.state = s; });
  link.start();

  const live = livePanel(cameraId, role);
  const playback = playbackPanel(cameraId, role);
  root.replaceChildren(h('div', {},
    h('p', {}, h('a', { href: '#/' }, '← Sites and agents')),
    title, state, live.el, playback.el,
    h('section', { class: 'card' }, h('h3', {}, 'Latest picture'), img, snapNote, h('button', { type: 'button', onclick: loadSnapshot }, 'Refresh')),
    facts,
    h('section', { class: 'card' }, h('h3', {}, 'Recordings'), search, recorded),
    role === 'admin' || role === 'security' ? footageTools(cameraId) : null,
    h('section', { class: 'card' }, h('h3', {}, 'State changes, last 7 days'), availability, changes)));
  loadSnapshot();
  loadHistory();
  return () => { link.stop(); live.stop(); playback.stop(); linkLabel.textContent = ''; };
}
