import Hls, { ErrorTypes, Events, type ErrorData, type Fragment, type LevelLoadedData } from 'hls.js/light';
import { h } from '../lib/dom';

/** A playlist covers this much before and after the chosen moment (Frigate plays an hour per playlist). */
const BEFORE_MS = 10 * 60_000;
const AFTER_MS = 50 * 60_000;
const BUFFER_S = 30;

export type PlayerState = 'idle' | 'loading' | 'playing' | 'paused' | 'no-footage' | 'ended' | 'error' | 'session';

export interface PlayerHooks {
  /** The viewing session's id, asking for the reason when there is none; undefined when the user declines. */
  session(): Promise<string | undefined>;
  /** The hub refused the session (it ended): the next play asks again. */
  sessionRefused(why: string): void;
  state?(state: PlayerState, text: string): void;
  /** The wall-clock time of each picture shown (epoch ms). */
  frame?(wallMs: number): void;
  /** Playback ran off the end of the playlist at this wall-clock time. */
  ended?(wallMs: number): void;
}

/**
 * Recorded playback of one camera with hls.js over the hub's playlist (an hour around the chosen
 * moment). Player time and wall-clock time map through each fragment's PROGRAM-DATE-TIME: a
 * fragment (a keyframe-aligned run of the recording) starting at player time `start` shows
 * wall-clock `programDateTime + (t − start)`. What the player promises: playAt(T) shows, as its
 * first picture, the frame whose recorded span holds T (to a frame, given the recorder's clock),
 * and frame() reports each picture's wall-clock time the same way.
 */
export class RecordedPlayer {
  readonly el: HTMLElement;
  readonly video: HTMLVideoElement;
  private readonly label: HTMLElement;
  private hls: Hls | undefined;
  private frags: Fragment[] = [];
  private loaded: { from: number; to: number } | undefined;
  private rate = 1;
  private frameCb: number | undefined;
  private destroyed = false;
  /** When the last playAt began and when its first picture showed (performance.now ms), for the figures. */
  startedAt: number | undefined;
  firstFrameMs: number | undefined;
  state: PlayerState = 'idle';
  /** The media timestamp of the picture on screen. */
  private shownTime: number | undefined;

  constructor(readonly cameraId: string, private readonly hooks: PlayerHooks) {
    this.video = h('video', { muted: true, playsinline: true, 'data-testid': 'playback-video' }) as HTMLVideoElement;
    this.video.muted = true;
    this.video.disableRemotePlayback = true;
    this.label = h('p', { class: 'pb-state', role: 'status' });
    this.el = h('div', { class: 'pb-player', 'data-state': 'idle' }, this.video, this.label);
    this.video.addEventListener('ended', () => this.onEnded());
    this.video.addEventListener('pause', () => { if (this.state === 'playing') this.setState('paused', ''); });
    this.video.addEventListener('playing', () => this.setState('playing', ''));
    this.watchFrames();
  }

  /** True when hls.js can play here (MSE or ManagedMediaSource). */
  static supported(): boolean { return Hls.isSupported(); }

  get paused(): boolean { return this.video.paused; }

  /** The wall-clock time of the picture shown, when a playlist is loaded. */
  wall(): number | undefined { return this.wallOf(this.video.currentTime); }

  /** True when the loaded playlist has footage at `ms`. */
  covers(ms: number): boolean { return this.fragAtWall(ms) !== undefined; }

  /** True when the loaded playlist's window (footage or not) holds `ms`. */
  inWindow(ms: number): boolean { return this.loaded !== undefined && ms >= this.loaded.from && ms < this.loaded.to; }

  /** Waits, paused, at the first footage after `ms` (nothing is recorded at `ms`). */
  park(ms: number): void {
    if (!this.video.paused) this.video.pause();
    const t = this.timeOf(ms);
    if (t !== undefined && Math.abs(this.video.currentTime - t) > 0.05) this.video.currentTime = t;
    if (this.state !== 'no-footage') this.setState('paused', `Nothing recorded at ${clock(ms)}.`);
  }

  /**
   * Plays from wall-clock `ms` (paused there if asked): a seek when the loaded playlist holds
   * it, a new playlist otherwise. Resolves false when there is nothing to play or no session.
   */
  async playAt(ms: number, opts: { paused?: boolean } = {}): Promise<boolean> {
    this.startedAt = performance.now();
    this.firstFrameMs = undefined;
    const t = this.loaded && ms >= this.loaded.from && ms < this.loaded.to ? this.timeOf(ms) : undefined;
    if (t !== undefined) {
      this.video.currentTime = t;
      if (!opts.paused) void this.video.play().catch(() => undefined);
      return true;
    }
    const id = await this.hooks.session();
    if (!id || this.destroyed) return false;
    // The figure counts from here: the reason, when asked, is the viewer's time, not the player's.
    this.startedAt = performance.now();
    this.teardown();
    this.setState('loading', 'Loading the recording…');
    const from = ms - BEFORE_MS;
    const to = Math.min(ms + AFTER_MS, Date.now() + 60_000);
    const url = `/api/video/cameras/${encodeURIComponent(this.cameraId)}/playlist.m3u8?${new URLSearchParams({ from: iso(from), to: iso(Math.max(to, ms + 1000)), session: id }).toString()}`;
    const hls = new Hls({
      enableWorker: false, autoStartLoad: false, maxBufferLength: BUFFER_S * this.rate, maxMaxBufferLength: 120, backBufferLength: 30,
      // Recorded files do not change: a failed fragment is worth a few tries.
      fragLoadPolicy: { default: { maxTimeToFirstByteMs: 15_000, maxLoadTimeMs: 60_000, timeoutRetry: { maxNumRetry: 2, retryDelayMs: 500, maxRetryDelayMs: 2000 }, errorRetry: { maxNumRetry: 3, retryDelayMs: 500, maxRetryDelayMs: 4000 } } },
    });
    this.hls = hls;
    return new Promise<boolean>((resolve) => {
      hls.once(Events.LEVEL_LOADED, (_e, data: LevelLoadedData) => {
        this.frags = data.details.fragments;
        this.loaded = { from, to };
        const start = this.timeOf(ms);
        if (start === undefined) {
          this.setState('no-footage', `Nothing recorded from ${clock(ms)} on.`);
          return resolve(false);
        }
        const first = this.fragAtWall(ms);
        if (!first) this.setState('loading', `Nothing recorded at ${clock(ms)}: playing from ${clock(this.wallOf(start) ?? ms)}.`);
        this.el.dataset.seekTo = start.toFixed(6);
        hls.startLoad(start);
        this.video.currentTime = start;
        if (!opts.paused) void this.video.play().catch(() => undefined);
        resolve(true);
      });
      hls.on(Events.ERROR, (_e, data: ErrorData) => {
        const refused = this.refusal(data);
        if (refused) {
          this.teardown();
          this.hooks.sessionRefused(refused);
          this.setState('session', refused);
          return resolve(false);
        }
        if (!data.fatal) return;
        if (data.type === ErrorTypes.MEDIA_ERROR) return hls.recoverMediaError();
        this.setState('error', this.errorText(data));
        resolve(false);
      });
      hls.loadSource(url);
      hls.attachMedia(this.video);
    });
  }

  /** Seeks to wall-clock `ms`, keeping the play/pause state. */
  seekWall(ms: number): Promise<boolean> {
    return this.playAt(ms, { paused: this.video.paused && this.state !== 'loading' });
  }

  play(): void { void this.video.play().catch(() => undefined); }
  pause(): void { this.video.pause(); }

  setRate(rate: number): void {
    this.rate = rate;
    this.video.playbackRate = rate;
    // Keep about 30 s of viewing time in hand at any speed.
    if (this.hls) this.hls.config.maxBufferLength = BUFFER_S * rate;
  }

  /**
   * One frame forward or back, paused. Cameras stamp frames a few ms off their nominal rate, so the
   * step goes from the frame on screen (its own timestamp) to the middle of the next or previous one:
   * the browser shows the frame holding the new time.
   */
  step(direction: 1 | -1, fps: number): void {
    this.video.pause();
    const from = this.shownTime ?? this.video.currentTime;
    this.video.currentTime = Math.max(0, from + (direction > 0 ? 1.5 : -0.5) / fps);
  }

  destroy(): void {
    this.destroyed = true;
    this.teardown();
    if (this.frameCb !== undefined) this.video.cancelVideoFrameCallback(this.frameCb);
  }

  /** Player time of wall-clock `ms`: inside the fragment that holds it, else the start of the next one. */
  timeOf(ms: number): number | undefined {
    for (const f of this.frags) {
      const pdt = f.programDateTime;
      if (pdt === null) continue;
      if (ms < pdt) return f.start;
      if (ms < pdt + f.duration * 1000) return f.start + (ms - pdt) / 1000;
    }
    return undefined;
  }

  /** Wall-clock time at player time `t`. */
  wallOf(t: number): number | undefined {
    const f = this.fragAt(t);
    return f?.programDateTime == null ? undefined : f.programDateTime + (Math.max(0, t - f.start)) * 1000;
  }

  private fragAt(t: number): Fragment | undefined {
    const fs = this.frags;
    let lo = 0;
    let hi = fs.length - 1;
    if (hi < 0) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (fs[mid]!.start <= t + 1e-6) lo = mid;
      else hi = mid - 1;
    }
    return fs[lo];
  }

  private fragAtWall(ms: number): Fragment | undefined {
    return this.frags.find((f) => f.programDateTime !== null && ms >= f.programDateTime && ms < f.programDateTime + f.duration * 1000);
  }

  private teardown(): void {
    this.shownTime = undefined;
    this.hls?.destroy();
    this.hls = undefined;
    this.frags = [];
    this.loaded = undefined;
  }

  private onEnded(): void {
    const last = this.frags[this.frags.length - 1];
    const end = last?.programDateTime == null ? undefined : last.programDateTime + last.duration * 1000;
    this.setState('ended', `End of the recording${end ? ` at ${clock(end)}` : ''}.`);
    if (end !== undefined) this.hooks.ended?.(end);
  }

  /** Each picture shown: its wall-clock time, and the first one after playAt for the start-up figure. */
  private watchFrames(): void {
    const each = (_now: number, meta: VideoFrameCallbackMetadata) => {
      this.shownTime = meta.mediaTime;
      const w = this.wallOf(meta.mediaTime);
      if (w !== undefined) {
        this.el.dataset.wall = String(Math.round(w));
        if (this.firstFrameMs === undefined && this.startedAt !== undefined) this.firstFrameMs = performance.now() - this.startedAt;
        // A picture is up: "loading" is over even when it stays paused there.
        if (this.state === 'loading') this.setState(this.video.paused ? 'paused' : 'playing', '');
        this.hooks.frame?.(w);
      }
      this.frameCb = this.video.requestVideoFrameCallback(each);
    };
    this.frameCb = this.video.requestVideoFrameCallback(each);
  }

  private refusal(data: ErrorData): string | undefined {
    const code = data.response?.code;
    if (code !== 403) return undefined;
    return 'The viewing session has ended (a minute without requests, or signed out): give the reason again to go on.';
  }

  private errorText(data: ErrorData): string {
    const text = data.response?.text ?? (data.networkDetails as XMLHttpRequest | undefined)?.responseText;
    try {
      const e = (JSON.parse(String(text)) as { error?: string }).error;
      if (e) return e;
    } catch { /* not JSON */ }
    return `The recording cannot be played (${data.details}).`;
  }

  private setState(state: PlayerState, text: string): void {
    this.state = state;
    this.el.dataset.state = state;
    this.label.textContent = text;
    this.label.hidden = !text;
    this.hooks.state?.(state, text);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A wall-clock time to the millisecond, in the viewer's time zone. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
