import { api } from '../lib/api';
import { h } from '../lib/dom';
import { exportPanel } from './export-panel';
import { clock, RecordedPlayer } from './hls-player';
import { PlaybackDeck } from './hls-player-deck';
import { PlaybackSession } from './hls-player-session';
import { Timeline, type TimelineRow } from './timeline';
import { loadTimelineRow } from './timeline-data';

/** The timeline is reloaded this often (new footage, and it keeps an open viewing session alive). */
const REFRESH_MS = 30_000;
const HOVER_DELAY_MS = 200;
const STILL_WIDTH = 240;

/**
 * Stills under the pointer for a timeline: after a short pause of the pointer, the keyframe at
 * or before that moment (only within an open viewing session: a still is footage too); a newer
 * hover cancels the request before it, which also takes it out of the agent's decode queue.
 */
export function hoverStills(cameraId: () => string, session: PlaybackSession, timeline: Timeline): { hover: (ms: number | undefined) => void; stop: () => void } {
  let timer: number | undefined;
  let inflight: AbortController | undefined;
  let url: string | undefined;
  const stop = () => { window.clearTimeout(timer); inflight?.abort(); };
  const hover = (ms: number | undefined) => {
    stop();
    if (ms === undefined) return timeline.showPreview(undefined);
    const id = session.id;
    timeline.showPreview(ms, undefined, `${clock(ms)}${id ? '' : ' (stills once viewing has started)'}`);
    if (!id) return;
    timer = window.setTimeout(() => {
      const ac = new AbortController();
      inflight = ac;
      const q = new URLSearchParams({ at: new Date(ms).toISOString(), session: id, width: String(STILL_WIDTH) });
      fetch(`/api/video/cameras/${encodeURIComponent(cameraId())}/still?${q.toString()}`, { credentials: 'same-origin', signal: ac.signal }).then(async (res) => {
        if (res.status === 403) session.drop();
        if (!res.ok) return timeline.showPreview(ms, undefined, `${clock(ms)}: ${((await res.json().catch(() => ({}))) as { error?: string }).error ?? 'no still'}`);
        const blob = await res.blob();
        if (url) URL.revokeObjectURL(url);
        url = URL.createObjectURL(blob);
        timeline.showPreview(ms, url, `${clock(Date.parse(res.headers.get('x-taken-at') ?? new Date(ms).toISOString()))} (keyframe)`);
      }).catch(() => undefined);
    }, HOVER_DELAY_MS);
  };
  return { hover, stop: () => { stop(); if (url) URL.revokeObjectURL(url); } };
}

/** The camera page's recorded footage: timeline, playback, stills, range export. Admin and security only. */
export function playbackPanel(cameraId: string, role: string): { el: HTMLElement | null; stop: () => void } {
  if (role !== 'admin' && role !== 'security') return { el: null, stop: () => undefined };
  const session = new PlaybackSession([cameraId]);
  let row: TimelineRow | undefined;
  let fps = 25;
  let selection: { from: number; to: number } | undefined;
  const exportHost = h('div', { class: 'pb-export' });
  const selectionBar = h('div', { class: 'pb-selection', hidden: true, 'data-testid': 'playback-selection' });

  const refresh = () => {
    loadTimelineRow(cameraId, timeline.from, timeline.to, session.id).then((r) => { row = r; timeline.setRows([r]); }, (err: Error) => deckSay(err.message));
  };
  const timeline: Timeline = new Timeline({
    seek: (ms) => void deck.playAt(ms),
    hover: (ms) => stills.hover(ms),
    select: (from, to) => {
      selection = { from, to };
      timeline.setSelection(selection);
      selectionBar.hidden = false;
      selectionBar.replaceChildren(
        h('span', {}, `Selected ${clock(from)} – ${clock(to)}`),
        h('button', { type: 'button', 'data-testid': 'export-range', onclick: () => { if (selection) exportHost.replaceChildren(exportPanel(cameraId, new Date(selection.from), new Date(selection.to))); } }, 'Export this range'),
        h('button', { type: 'button', onclick: () => { selection = undefined; timeline.setSelection(undefined); selectionBar.hidden = true; exportHost.replaceChildren(); } }, 'Clear'));
    },
    window: () => { refresh(); timeline.setSelection(selection); },
  });
  const stills = hoverStills(() => cameraId, session, timeline);
  const player = new RecordedPlayer(cameraId, {
    session: () => session.ensure(),
    sessionRefused: (why) => session.drop(why),
    frame: (w) => deck.frame(player, w),
    state: (s, text) => deck.stateOf(player, s, text),
    ended: (w) => deck.ended(player, w),
  });
  const deck = new PlaybackDeck([player], {
    session, fps: () => fps, gaps: () => row?.gaps ?? [],
    moved: (w) => { timeline.setPlayhead(w); },
  });
  const deckSay = (text: string) => deck.stateOf(player, 'error', text);

  api<{ info: { id: string; fps?: number } }[]>('GET', '/api/cameras').then((cams) => { fps = cams.find((c) => c.info.id === cameraId)?.info.fps ?? fps; }, () => undefined);
  refresh();
  const ticker = window.setInterval(() => { timeline.tick(); refresh(); }, REFRESH_MS);
  const el = h('section', { class: 'card pb-panel', 'data-testid': 'playback-panel' },
    h('h3', {}, 'Recorded footage'),
    h('p', { class: 'note' }, 'Click or drag on the timeline to play from that moment (while paused, to show it); shift-drag to select a range to export.'),
    timeline.el, session.el, player.el, deck.el, selectionBar, exportHost);
  return {
    el,
    stop: () => {
      window.clearInterval(ticker);
      stills.stop();
      deck.stop();
      session.end();
    },
  };
}
