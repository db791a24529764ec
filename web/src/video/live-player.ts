import { h } from '../lib/dom';

/** What the player shows under (or instead of) the picture. */
export type LiveState = 'connecting' | 'waiting' | 'playing' | 'offline' | 'reconnecting' | 'paused' | 'unsupported' | 'signed-out';

type StreamMessage = { type: 'stream'; codec: string; width: number; height: number };
type StateMessage = { type: 'state'; state: 'waiting' | 'playing' | 'offline'; reason?: string };

/**
 * Seconds behind the end of what is buffered: past JUMP_S jump to EDGE_S behind it; between
 * CATCH_UP_S and JUMP_S play at 1.1–1.5×; between NUDGE_S and CATCH_UP_S at 1.05×. Measured here
 * (clock camera, test/video/live-latency.test.ts): camera to browser costs about 75 ms, so what the
 * player keeps in hand is most of the latency. Jumping to 0.15 s with nothing below 0.3 s, frames
 * showed 190–320 ms after they were made; with these values p50 130–150 ms, p95 150–200 ms.
 */
const JUMP_S = 1;
const CATCH_UP_S = 0.3;
const NUDGE_S = 0.1;
const EDGE_S = 0.05;
/** Media kept behind the playhead. */
const KEEP_S = 10;
/** Bytes waiting for the SourceBuffer before the player gives up on catching up and reconnects. */
const QUEUE_LIMIT = 8 * 1024 * 1024;
/** Invisible (off-screen or hidden tab) this long: the socket closes until it is seen again. */
const SUSPEND_AFTER_MS = 5000;

const ManagedMS = (window as unknown as { ManagedMediaSource?: typeof MediaSource }).ManagedMediaSource;

/**
 * A small MSE player for the hub's live socket (/api/video/live): fMP4 appended as it comes, in
 * `sequence` mode so an upstream restart or a skipped GOP leaves no gap to stall on; kept at the
 * live edge (more than 1 s behind: jump; 0.3–1 s: play at 1.1–1.5×; Safari, whose rate changes
 * rebuffer, only jumps); what is older than 10 s removed. It reconnects by itself with a growing
 * wait, starts afresh on each new `stream` message, and says in words what it is doing.
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
  private readonly onVisibility = () => this.visibilityChanged();

  constructor(private readonly cameraId: string, private stream: 'main' | 'sub') {
    this.video = h('video', { muted: true, autoplay: true, playsinline: true, 'data-testid': 'live-video' }) as HTMLVideoElement;
    this.video.muted = true;
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

  /** Keeps the playhead within a second of the newest frame, and playing. */
  private keepAtEdge(): void {
    const v = this.video;
    const b = v.buffered;
    if (!b.length) return;
    const end = b.end(b.length - 1);
    const behind = end - v.currentTime;
    if (behind > JUMP_S || v.currentTime < b.start(b.length - 1)) {
      v.currentTime = Math.max(b.start(b.length - 1), end - EDGE_S);
      v.playbackRate = 1;
    } else if (ManagedMS) {
      v.playbackRate = 1; // Safari rebuffers on rate changes: it only jumps
    } else {
      v.playbackRate = behind > CATCH_UP_S ? Math.min(1.5, 1.1 + ((behind - CATCH_UP_S) * 0.4) / (JUMP_S - CATCH_UP_S)) : behind > NUDGE_S ? 1.05 : 1;
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
