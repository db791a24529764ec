import { h } from '../lib/dom';

/** What the player shows under (or instead of) the picture. */
export type LiveState = 'connecting' | 'waiting' | 'playing' | 'offline' | 'reconnecting' | 'paused' | 'unsupported' | 'signed-out';

type StreamMessage = { type: 'stream'; codec: string; width: number; height: number };
type StateMessage = { type: 'state'; state: 'waiting' | 'playing' | 'offline'; reason?: string };

/**
 * Seconds behind the end of what is buffered. The player keeps a cushion of media in hand: past
 * JUMP_S it jumps to the cushion behind the end; above the cushion plus CATCH_UP_S it plays at
 * 1.1–1.5× until it is back at the cushion, and at the cushion or nearer it plays at 1×, so it
 * never speeds itself into an empty buffer. The cushion starts at MIN_CUSHION_S; each time the
 * buffer runs dry while playing it grows by CUSHION_STEP_S, to MAX_CUSHION_S at most (or what the
 * page asks for: a grid of small tiles, 0.3 s); after CUSHION_CALM_MS without running dry it
 * shrinks a step.
 *
 * Measured here: camera to browser costs about 75 ms (clock camera, test/video/live-latency.test.ts),
 * so what the player keeps in hand is most of the latency; on an idle machine the cushion stays at
 * its minimum. Chromium counts a decoded frame it never shows as dropped, and every time the
 * buffer runs dry it drops one or two: with the old policy (jump to 0.05 s, 1.05× from 0.1 s) a
 * 4-tile grid ran dry 1.5 times a second a tile and dropped 6.7 % of its frames; a 16-tile grid on
 * a loaded 2-core machine ran dry about once a second a tile. Rate changes and seeks by themselves
 * drop nothing (measured: 1.5× for 0.3 s every 2 s, or a seek every 2 s, on one tile of four).
 */
const JUMP_S = 1;
const CATCH_UP_S = 0.1;
const MIN_CUSHION_S = 0.1;
/** The most cushion by default (a camera page: latency first); a grid tile may ask for more. */
const MAX_CUSHION_S = 0.2;
const CUSHION_STEP_S = 0.1;
const CUSHION_CALM_MS = 15_000;
/** Media kept behind the playhead. */
const KEEP_S = 10;
/** Bytes waiting for the SourceBuffer before the player gives up on catching up and reconnects. */
const QUEUE_LIMIT = 8 * 1024 * 1024;
/** Invisible (off-screen or hidden tab) this long: the socket closes until it is seen again. */
const SUSPEND_AFTER_MS = 5000;

const ManagedMS = (window as unknown as { ManagedMediaSource?: typeof MediaSource }).ManagedMediaSource;

/**
 * A small MSE player for the hub's live socket (/api/video/live): fMP4 appended as it comes, in
 * `sequence` mode so an upstream restart or a skipped GOP leaves no gap to stall on; kept near the
 * live edge with a small cushion in hand that grows when the buffer runs dry (more than 1 s behind:
 * jump; above the cushion: play at 1.1–1.5×; Safari, whose rate changes rebuffer, only jumps); what
 * is older than 10 s removed. It reconnects by itself with a growing wait, starts afresh on each
 * new `stream` message, and says in words what it is doing.
 */
export class LivePlayer {
  readonly el: HTMLElement;
  readonly video: HTMLVideoElement;
  private readonly label: HTMLElement;
  private ws: WebSocket | undefined;
  private source: MediaSource | undefined;
  private buffer: SourceBuffer | undefined;
  private objectUrl: string | undefined;
  private queue: ArrayBuffer[] = [];
  private queued = 0;
  private attempt = 0;
  private retry: number | undefined;
  private suspendTimer: number | undefined;
  private edgeTimer: number | undefined;
  private running = false;
  private suspended = false;
  private visible = true;
  private observer: IntersectionObserver | undefined;
  /** Seconds of media the player keeps in hand; grows when the buffer runs dry (see MIN_CUSHION_S). */
  private cushion = MIN_CUSHION_S;
  private lastDry = 0;
  private readonly onVisibility = () => this.visibilityChanged();

  /** `maxCushionS`: the most media the player may keep in hand against running dry (default MAX_CUSHION_S). */
  constructor(private readonly cameraId: string, private stream: 'main' | 'sub', private readonly maxCushionS = MAX_CUSHION_S) {
    this.video = h('video', { muted: true, autoplay: true, playsinline: true, 'data-testid': 'live-video' }) as HTMLVideoElement;
    this.video.muted = true;
    // The buffer ran dry while playing (not a seek, not the start): keep more in hand from now on.
    this.video.addEventListener('waiting', () => {
      if (this.video.seeking || this.video.paused || this.el.dataset.state !== 'playing' || !this.video.buffered.length) return;
      this.cushion = Math.min(this.maxCushionS, this.cushion + CUSHION_STEP_S);
      this.lastDry = performance.now();
    });
    this.label = h('p', { class: 'live-state', role: 'status' });
    this.el = h('div', { class: 'live-player' }, this.video, this.label);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    document.addEventListener('visibilitychange', this.onVisibility);
    this.observer = new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      this.visibilityChanged();
    });
    this.observer.observe(this.el);
    this.edgeTimer = window.setInterval(() => this.keepAtEdge(), 250);
    this.connect();
  }

  stop(): void {
    this.running = false;
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.observer?.disconnect();
    window.clearInterval(this.edgeTimer);
    window.clearTimeout(this.suspendTimer);
    this.disconnect();
  }

  /** Switches between the main stream and the sub-stream. */
  setStream(stream: 'main' | 'sub'): void {
    if (stream === this.stream) return;
    this.stream = stream;
    if (this.running && !this.suspended) { this.disconnect(); this.connect(); }
  }

  private connect(): void {
    window.clearTimeout(this.retry);
    const url = new URL(`/api/video/live?cameraId=${encodeURIComponent(this.cameraId)}&stream=${this.stream}`, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.show('connecting', this.attempt ? 'Reconnecting…' : 'Connecting…');
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return this.append(ev.data as ArrayBuffer);
      const m = JSON.parse(ev.data) as StreamMessage | StateMessage;
      if (m.type === 'stream') this.newStream(m);
      else if (m.state === 'playing') { this.attempt = 0; this.show('playing', ''); }
      else if (m.state === 'waiting') this.show('waiting', 'Waiting for the camera…');
      else this.show('offline', `Camera offline${m.reason ? `: ${m.reason}` : ''}. Retrying…`);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (!this.running || this.suspended || this.el.dataset.state === 'unsupported') return;
      if (ev.code === 4401) return this.show('signed-out', 'Signed out: live view stopped.');
      const delay = Math.min(10_000, 500 * 2 ** this.attempt++) * (0.75 + Math.random() / 4);
      this.show('reconnecting', 'Connection to the hub lost; reconnecting…');
      this.retry = window.setTimeout(() => this.connect(), delay);
    };
  }

  private disconnect(): void {
    window.clearTimeout(this.retry);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
    this.resetMedia();
  }

  /** A new init follows: a fresh MediaSource for it, if this browser can play the codec at all. */
  private newStream(m: StreamMessage): void {
    this.resetMedia();
    const MS = ManagedMS ?? window.MediaSource;
    const mime = `video/mp4; codecs="${m.codec}"`;
    if (!MS || !MS.isTypeSupported(mime)) {
      const h265 = /^(hvc1|hev1)\./.test(m.codec);
      this.show('unsupported', h265 ? 'This browser cannot play H.265 video from this camera.' : `This browser cannot play this camera's video (${m.codec}).`);
      this.ws?.close();
      return;
    }
    const source = new MS();
    this.source = source;
    source.addEventListener('sourceopen', () => {
      if (this.source !== source) return;
      const sb = source.addSourceBuffer(mime);
      sb.mode = 'sequence';
      sb.addEventListener('updateend', () => this.pump());
      this.buffer = sb;
      this.pump();
    }, { once: true });
    if (ManagedMS && source instanceof ManagedMS) {
      // iPhone: ManagedMediaSource plays only with remote playback off, attached as srcObject.
      this.video.disableRemotePlayback = true;
      this.video.srcObject = source as unknown as MediaProvider;
    } else {
      this.objectUrl = URL.createObjectURL(source);
      this.video.src = this.objectUrl;
    }
    this.video.style.aspectRatio = `${m.width} / ${m.height}`;
  }

  private resetMedia(): void {
    this.buffer = undefined;
    this.source = undefined;
    this.queue = [];
    this.queued = 0;
    this.video.removeAttribute('src');
    this.video.srcObject = null;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = undefined;
  }

  private append(data: ArrayBuffer): void {
    if (!this.source) return;
    this.queue.push(data);
    this.queued += data.byteLength;
    // The decoder cannot keep up (a hidden tab, a slow device): start over from a keyframe.
    if (this.queued > QUEUE_LIMIT) { this.disconnect(); this.connect(); return; }
    this.pump();
  }

  /** One SourceBuffer operation at a time: old media removed first, then everything queued in one append. */
  private pump(): void {
    const sb = this.buffer;
    if (!sb || sb.updating || this.source?.readyState !== 'open') return;
    const b = this.video.buffered;
    const t = this.video.currentTime;
    if (b.length && t - b.start(0) > KEEP_S + 2) { sb.remove(b.start(0), t - KEEP_S); return; }
    if (!this.queue.length) return;
    const data = this.queue.length === 1 ? this.queue[0]! : concat(this.queue, this.queued);
    this.queue = [];
    this.queued = 0;
    try {
      sb.appendBuffer(data);
    } catch {
      // QuotaExceededError or a closed source: the next connection starts clean.
      this.disconnect();
      if (this.running) this.connect();
    }
  }

  /** Keeps the playhead within a second of the newest frame, a cushion behind it, and playing. */
  private keepAtEdge(): void {
    const v = this.video;
    const b = v.buffered;
    if (!b.length) return;
    if (this.cushion > MIN_CUSHION_S && performance.now() - this.lastDry > CUSHION_CALM_MS) {
      this.cushion = Math.max(MIN_CUSHION_S, this.cushion - CUSHION_STEP_S);
      this.lastDry = performance.now();
    }
    const end = b.end(b.length - 1);
    const behind = end - v.currentTime;
    if (behind > JUMP_S || v.currentTime < b.start(b.length - 1)) {
      v.currentTime = Math.max(b.start(b.length - 1), end - this.cushion);
      v.playbackRate = 1;
    } else if (ManagedMS) {
      v.playbackRate = 1; // Safari rebuffers on rate changes: it only jumps
    } else {
      // Faster only while more than the cushion is in hand: from CATCH_UP_S above it, until back at it.
      const over = behind - this.cushion;
      const rate = over > CATCH_UP_S || (v.playbackRate > 1 && over > 0) ? Math.min(1.5, 1.1 + Math.max(0, over - CATCH_UP_S) * 0.8) : 1;
      if (Math.abs(rate - v.playbackRate) >= 0.02 || (rate === 1) !== (v.playbackRate === 1)) v.playbackRate = rate;
    }
    if (v.paused && behind > 0.1) void v.play().catch(() => undefined);
  }

  private visibilityChanged(): void {
    const seen = this.visible && document.visibilityState === 'visible';
    window.clearTimeout(this.suspendTimer);
    if (seen && this.suspended) {
      this.suspended = false;
      this.attempt = 0;
      this.connect();
    } else if (!seen && !this.suspended && this.running) {
      this.suspendTimer = window.setTimeout(() => {
        this.suspended = true;
        this.disconnect();
        this.show('paused', 'Paused while out of sight.');
      }, SUSPEND_AFTER_MS);
    }
  }

  private show(state: LiveState, text: string): void {
    this.el.dataset.state = state;
    this.label.textContent = text;
    this.label.hidden = text === '';
  }
}

function concat(parts: ArrayBuffer[], bytes: number): ArrayBuffer {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) { out.set(new Uint8Array(p), at); at += p.byteLength; }
  return out.buffer;
}
