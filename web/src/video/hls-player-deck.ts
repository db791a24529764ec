import { h } from '../lib/dom';
import { clock, RecordedPlayer, type PlayerState } from './hls-player';
import type { PlaybackSession } from './hls-player-session';
import { nextGap, previousGap } from './timeline-data';
import type { Span } from './timeline';

export const RATES = [1, 2, 4, 8] as const;
/** A follower further than this from the leader's wall-clock time is sought back into step. */
export const DRIFT_LIMIT_MS = 300;
const SYNC_EVERY_MS = 500;

export interface DeckOptions {
  session: PlaybackSession;
  /** Frames per second of the cameras, for frame steps. */
  fps: () => number;
  /** The gaps shown on the timeline, for "previous gap" and "next gap". */
  gaps: () => Span[];
  /** The wall-clock time of the picture (the leader's), as it plays. */
  moved?: (wallMs: number) => void;
}

/**
 * The controls of recorded playback over one player or several in step (the sync page's grid):
 * play/pause, 1×–8×, a frame back or forward while paused, previous/next gap, a jump to a typed
 * time, the wall-clock time of the picture, and a status line. With several players the first one
 * with footage leads; every half second a follower more than 0.3 s off is sought to the leader's
 * time (or started there, when it had nothing before).
 */
export class PlaybackDeck {
  readonly el: HTMLElement;
  private readonly clockEl: HTMLElement;
  private readonly status: HTMLElement;
  private readonly playButton: HTMLButtonElement;
  private readonly rateButtons: HTMLButtonElement[];
  private rate = 1;
  private wallMs: number | undefined;
  /** The moment last asked for, and the time from the ask to its first picture (for the figures). */
  chosen: number | undefined;
  private syncTimer: number | undefined;
  private readonly seeking = new Set<RecordedPlayer>();
  private readonly reloaded = new Map<RecordedPlayer, number>();
  private transient = false;

  constructor(readonly players: RecordedPlayer[], private readonly o: DeckOptions) {
    this.clockEl = h('output', { class: 'pb-clock', 'data-testid': 'playback-clock' }, '–');
    this.status = h('p', { class: 'note', role: 'status', 'data-testid': 'playback-status' });
    this.playButton = h('button', { type: 'button', 'data-testid': 'playback-play', onclick: () => this.togglePlay() }, 'Play') as HTMLButtonElement;
    this.rateButtons = RATES.map((r) => h('button', { type: 'button', 'data-rate': String(r), 'aria-pressed': String(r === 1), onclick: () => this.setRate(r) }, `${r}×`) as HTMLButtonElement);
    const jump = h('input', { type: 'datetime-local', step: '1', name: 'at', 'aria-label': 'go to this time' }) as HTMLInputElement;
    const jumpForm = h('form', { class: 'pb-jump' }, jump, h('button', { type: 'submit' }, 'Go to')) as HTMLFormElement;
    jumpForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const ms = Date.parse(new Date(jump.value).toISOString());
      if (!Number.isNaN(ms)) void this.playAt(ms);
    });
    this.el = h('div', { class: 'pb-deck' },
      h('div', { class: 'pb-controls' },
        h('button', { type: 'button', title: 'the last 5 s before the previous gap', onclick: () => this.gap(-1) }, '⏮ Previous gap'),
        h('button', { type: 'button', title: 'one frame back (paused)', 'data-testid': 'frame-back', onclick: () => this.step(-1) }, '◁ Frame'),
        this.playButton,
        h('button', { type: 'button', title: 'one frame forward (paused)', 'data-testid': 'frame-forward', onclick: () => this.step(1) }, 'Frame ▷'),
        h('button', { type: 'button', title: 'the last 5 s before the next gap, then what follows it', onclick: () => this.gap(1) }, 'Next gap ⏭'),
        h('span', { class: 'pb-rates', role: 'group', 'aria-label': 'speed' }, ...this.rateButtons),
        this.clockEl),
      jumpForm, this.status);
    for (const p of players) p.video.addEventListener('play', () => this.showPlaying());
    for (const p of players) p.video.addEventListener('pause', () => this.showPlaying());
    if (players.length > 1) this.syncTimer = window.setInterval(() => this.sync(), SYNC_EVERY_MS);
  }

  /** The player whose picture the others follow: the first one playing footage now. */
  leader(): RecordedPlayer | undefined {
    return this.players.find((p) => p.wall() !== undefined && (p.state === 'playing' || p.state === 'paused')) ?? this.players.find((p) => p.wall() !== undefined);
  }

  /** Plays every player from wall-clock `ms`; while paused, shows that moment and stays paused (scrubbing). */
  async playAt(ms: number, opts: { play?: boolean } = {}): Promise<void> {
    const lead = this.leader();
    const paused = !opts.play && lead !== undefined && lead.paused && lead.state !== 'ended';
    this.chosen = ms;
    this.el.dataset.chosen = String(ms);
    delete this.el.dataset.firstFrameMs;
    this.say(paused ? `Showing ${clock(ms)} (paused).` : `Playing from ${clock(ms)}…`, true);
    // The players load paused at the moment and run once each shows its first picture (or has
    // nothing): the first picture is exactly the frame at the moment (a seek shows the frame holding
    // it), and several cameras begin in step instead of as fast as each playlist happens to load.
    const together = !paused;
    const started = await Promise.all(this.players.map((p) => p.playAt(ms, { paused: paused || together })));
    for (const p of this.players) p.setRate(this.rate);
    if (together) {
      const deadline = Date.now() + 5000;
      const settled = (p: RecordedPlayer) => p.firstFrameMs !== undefined || !['loading', 'idle'].includes(p.state);
      while (Date.now() < deadline && !this.players.every((p, i) => !started[i] || settled(p))) await new Promise((r) => setTimeout(r, 50));
      if (this.chosen === ms) for (const [i, p] of this.players.entries()) if (started[i]) p.play();
    }
    if (!started.some(Boolean)) this.say(this.players.map((p) => p.state === 'no-footage' || p.state === 'error' || p.state === 'session' ? (p.el.textContent ?? '') : '').filter(Boolean)[0] ?? 'Nothing to play.');
  }

  /** Called by each player for every picture shown. */
  frame(p: RecordedPlayer, wallMs: number): void {
    if (p !== this.leader()) return;
    this.wallMs = wallMs;
    this.clockEl.textContent = clock(wallMs);
    this.clockEl.dataset.ms = String(Math.round(wallMs));
    if (p.firstFrameMs !== undefined && this.el.dataset.firstFrameMs === undefined) {
      this.el.dataset.firstFrameMs = String(Math.round(p.firstFrameMs));
      if (this.transient) this.say('');
    }
    this.o.moved?.(wallMs);
  }

  /** A player reports its state: its sentence goes to the status line. */
  stateOf(_p: RecordedPlayer, state: PlayerState, text: string): void {
    if (text && state !== 'playing') this.say(text);
    this.showPlaying();
  }

  /** One player's playlist ran out: a next playlist carries on, unless this is the newest footage. */
  ended(p: RecordedPlayer, wallMs: number): void {
    if (p !== this.players[0] && this.players.length > 1) return;
    if (wallMs > Date.now() - 10_000) return this.say(`This is the newest recording (up to ${clock(wallMs)}); the live view shows what happens now.`);
    // The playlist covered an hour around the chosen moment; more may follow.
    if (this.chosen !== undefined && wallMs > this.chosen) void this.playAt(wallMs + 1, { play: true });
  }

  setRate(rate: number): void {
    this.rate = rate;
    for (const b of this.rateButtons) b.setAttribute('aria-pressed', String(Number(b.dataset.rate) === rate));
    for (const p of this.players) p.setRate(rate);
  }

  stop(): void {
    window.clearInterval(this.syncTimer);
    for (const p of this.players) p.destroy();
  }

  private togglePlay(): void {
    const lead = this.leader();
    if (!lead) {
      if (this.chosen !== undefined) void this.playAt(this.chosen, { play: true });
      else this.say('Click the timeline where you want to start.');
      return;
    }
    const paused = lead.paused;
    for (const p of this.players) if (paused) p.play(); else p.pause();
  }

  private step(direction: 1 | -1): void {
    for (const p of this.players) if (p.wall() !== undefined) p.step(direction, this.o.fps());
  }

  private gap(direction: 1 | -1): void {
    const now = this.wallMs ?? this.chosen;
    if (now === undefined) return this.say('Start playback first.');
    const g = direction > 0 ? nextGap(this.o.gaps(), now) : previousGap(this.o.gaps(), now);
    if (!g) return this.say(direction > 0 ? 'No gap after this moment in the window shown.' : 'No gap before this moment in the window shown.');
    this.say(`Gap ${clock(g.from)} – ${clock(g.to)}: playing the last seconds before it.`);
    void this.playAt(g.from - 5000, { play: true });
  }

  /**
   * Followers back in step with the leader. A follower with no footage at the leader's time (a
   * gap in its own recording) waits, paused, at its next footage until the leader gets there.
   */
  private sync(): void {
    const lead = this.leader();
    const w = lead?.wall();
    if (!lead || w === undefined || lead.state === 'loading') return;
    for (const p of this.players) {
      if (p === lead || this.seeking.has(p) || p.state === 'session' || p.state === 'loading') continue;
      const pw = p.wall();
      if (pw !== undefined && Math.abs(pw - w) <= DRIFT_LIMIT_MS) {
        if (p.paused !== lead.paused) { if (lead.paused) p.pause(); else p.play(); }
        continue;
      }
      if (p.inWindow(w) && !p.covers(w)) { p.park(w); continue; }
      // Within its playlist a seek; outside it a new playlist, at most every 10 s for a camera with nothing there.
      if (!p.inWindow(w) && Date.now() - (this.reloaded.get(p) ?? 0) < 10_000) continue;
      if (!p.inWindow(w)) this.reloaded.set(p, Date.now());
      this.seeking.add(p);
      void p.playAt(w + (lead.paused ? 0 : 100), { paused: lead.paused }).finally(() => this.seeking.delete(p));
    }
  }

  private showPlaying(): void {
    const lead = this.leader();
    this.playButton.textContent = lead && !lead.paused ? 'Pause' : 'Play';
  }

  /** The status line; a transient sentence ("Playing from …") goes when the picture comes. */
  private say(text: string, transient = false): void {
    this.status.textContent = text;
    this.transient = transient;
  }
}
