import type { CameraView } from '@sargs/shared/protocol/index';
import { api, type SessionUser } from '../lib/api';
import { h } from '../lib/dom';
import { RecordedPlayer } from '../video/hls-player';
import { PlaybackDeck } from '../video/hls-player-deck';
import { PlaybackSession } from '../video/hls-player-session';
import { hoverStills } from '../video/playback-panel';
import { Timeline, type TimelineRow } from '../video/timeline';
import { loadTimelineRow } from '../video/timeline-data';

const MAX_CAMERAS = 4;
const REFRESH_MS = 30_000;

/** The cameras named in `#/playback?cameras=a,b,c,d`. */
function chosenIds(): string[] {
  const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return [...new Set((q.get('cameras') ?? '').split(',').map((s) => s.trim()).filter(Boolean))].slice(0, MAX_CAMERAS);
}

/** Choosing up to four cameras of one site, when the address names none (or names them wrongly). */
function picker(all: CameraView[], note: string): HTMLElement {
  const form = h('form', { class: 'pb-pick' },
    h('p', { class: 'note' }, note),
    ...[...new Set(all.map((c) => c.siteId))].map((site) => h('fieldset', {},
      h('legend', {}, `Site ${site}`),
      ...all.filter((c) => c.siteId === site).map((c) => h('label', {}, h('input', { type: 'checkbox', name: 'camera', value: c.info.id }), c.info.name)))),
    h('button', { type: 'submit' }, 'Play these in step')) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const ids = [...form.querySelectorAll<HTMLInputElement>('input[name=camera]:checked')].map((i) => i.value).slice(0, MAX_CAMERAS);
    if (ids.length) location.hash = `#/playback?cameras=${ids.map(encodeURIComponent).join(',')}`;
  });
  return form;
}

/** Up to four cameras of one site played back side by side, in step: one timeline, one set of controls. */
export function syncPlaybackPage(root: HTMLElement, _user: SessionUser): () => void {
  let stop = () => undefined as void;
  let left = false;
  root.replaceChildren(h('h2', {}, 'Recorded footage in step'), h('p', {}, 'Loading the cameras…'));
  api<CameraView[]>('GET', '/api/cameras').then((all) => {
    if (left) return;
    const ids = chosenIds();
    const cams = ids.map((id) => all.find((c) => c.info.id === id));
    const unknown = ids.filter((_, i) => !cams[i]);
    const sites = new Set(cams.filter(Boolean).map((c) => c!.siteId));
    const problem = !ids.length ? 'Choose up to four cameras of one site.'
      : unknown.length ? `No camera "${unknown.join('", "')}". Choose again.`
        : sites.size > 1 ? 'The cameras played together must belong to one site. Choose again.' : undefined;
    if (problem) return root.replaceChildren(h('h2', {}, 'Recorded footage in step'), picker(all, problem));
    stop = mount(root, cams as CameraView[]);
  }, (err: Error) => root.replaceChildren(h('p', { class: 'error' }, err.message)));
  return () => { left = true; stop(); };
}

function mount(root: HTMLElement, cams: CameraView[]): () => void {
  const session = new PlaybackSession(cams.map((c) => c.info.id));
  let rows: TimelineRow[] = [];
  const fps = Math.max(...cams.map((c) => c.info.fps ?? 25));
  const timeline: Timeline = new Timeline({
    seek: (ms) => void deck.playAt(ms),
    hover: (ms) => stills.hover(ms),
    window: () => refresh(),
  });
  const leadIndex = (): number => Math.max(0, players.indexOf(deck.leader() ?? players[0]!));
  const stills = hoverStills(() => cams[leadIndex()]!.info.id, session, timeline);
  const players: RecordedPlayer[] = cams.map((c) => {
    const p: RecordedPlayer = new RecordedPlayer(c.info.id, {
      session: () => session.ensure(),
      sessionRefused: (why) => session.drop(why),
      frame: (w) => deck.frame(p, w),
      state: (s, text) => deck.stateOf(p, s, text),
      ended: (w) => deck.ended(p, w),
    });
    return p;
  });
  const deck: PlaybackDeck = new PlaybackDeck(players, { session, fps: () => fps, gaps: () => rows[leadIndex()]?.gaps ?? [], moved: (w) => timeline.setPlayhead(w) });
  const refresh = () => {
    Promise.all(cams.map((c) => loadTimelineRow(c.info.id, timeline.from, timeline.to, session.id, c.info.name)))
      .then((r) => { rows = r; timeline.setRows(r); }, (err: Error) => deck.stateOf(players[0]!, 'error', err.message));
  };
  refresh();
  const ticker = window.setInterval(() => { timeline.tick(); refresh(); }, REFRESH_MS);
  const grid = h('div', { class: 'pb-grid', 'data-testid': 'sync-grid' },
    ...cams.map((c, i) => h('div', { class: 'pb-tile', 'data-camera': c.info.id }, h('div', { class: 'pb-caption' }, h('a', { href: `#/cameras/${c.info.id}` }, c.info.name)), players[i]!.el)));
  root.replaceChildren(h('div', { class: 'pb-sync' },
    h('h2', {}, 'Recorded footage in step'),
    h('p', { class: 'note' }, `${cams.map((c) => c.info.name).join(', ')}: one timeline, played together; a camera more than 0.3 s off is put back in step.`),
    timeline.el, session.el, grid, deck.el));
  return () => {
    window.clearInterval(ticker);
    stills.stop();
    deck.stop();
    session.end();
  };
}
