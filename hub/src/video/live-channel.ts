import { LivePacket, type MediaHead, type StreamChoice } from '@sargs/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { MediaCall } from './media-gateway';
import type { LiveSink, LiveStatus, LiveStreamInfo } from './live-viewer';

export interface ChannelTuning {
  /** The upstream call is cancelled this long after the last viewer left. */
  lingerMs: number;
  /** Waits before reopening a failed upstream, the last repeating. */
  retryMs: number[];
  /** The current GOP is kept for new viewers up to this size; past it they wait for the next keyframe. */
  gopMaxBytes: number;
}

export const DEFAULT_CHANNEL_TUNING: ChannelTuning = { lingerMs: 5000, retryMs: [1000, 2000, 5000, 10_000], gopMaxBytes: 8 * 1024 * 1024 };

export interface ChannelDeps {
  /** Which agent serves the camera now; undefined when the hub does not know the camera. */
  agentOf: (cameraId: string) => Promise<string | undefined>;
  open: (agentId: string, cameraId: string, stream: StreamChoice) => MediaCall<'live'>;
  log: FastifyBaseLogger;
  /** The channel has no viewers and no upstream any more: forget it. */
  onIdle: () => void;
}

/**
 * One camera stream watched live: a set of viewers and, while it has any, ONE media `live` call
 * to the camera's agent whose fragments go to all of them. It keeps the init segment and the
 * fragments since the last keyframe, so a new viewer starts at once. When the call fails it tells
 * the viewers why and opens a new one after a growing wait (1, 2, 5, then every 10 s), at once if
 * the agent's media link comes back. The call is cancelled `lingerMs` after the last viewer left.
 */
export class LiveChannel {
  private readonly viewers = new Set<LiveSink>();
  private call: MediaCall<'live'> | undefined;
  private opening = false;
  private callSeq = 0;
  private info: LiveStreamInfo | undefined;
  private init: Buffer | undefined;
  private gop: Buffer[] = [];
  private gopBytes = 0;
  private current: LiveStatus = { state: 'waiting' };
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The agent of the last call, so its media link coming back can wake the retry. */
  agentId: string | undefined;

  constructor(
    readonly cameraId: string,
    readonly stream: StreamChoice,
    private readonly deps: ChannelDeps,
    private readonly tuning: ChannelTuning = DEFAULT_CHANNEL_TUNING,
  ) {}

  get viewerCount(): number { return this.viewers.size; }
  get upstreamOpen(): boolean { return this.call !== undefined || this.opening; }
  get status(): LiveStatus { return this.current; }

  add(v: LiveSink): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.viewers.add(v);
    v.status(this.current);
    if (this.info && this.init) {
      v.stream(this.info, this.init);
      this.gop.forEach((f, i) => v.fragment(f, i === 0));
    }
    if (!this.call && !this.opening && !this.retryTimer) void this.open();
  }

  remove(v: LiveSink): void {
    if (!this.viewers.delete(v) || this.viewers.size) return;
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => this.stop(), this.tuning.lingerMs);
  }

  /** The agent's media link is back: a channel waiting to retry on it tries now. */
  agentConnected(agentId: string): void {
    if (this.stopped || this.call || this.opening || !this.viewers.size || (this.agentId !== undefined && this.agentId !== agentId)) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.open();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.lingerTimer);
    clearTimeout(this.retryTimer);
    this.callSeq++;
    this.call?.cancel();
    this.call = undefined;
    this.deps.onIdle();
  }

  private async open(): Promise<void> {
    this.retryTimer = undefined;
    const seq = ++this.callSeq;
    this.opening = true; // no second open while the agent is looked up
    const agentId = await this.deps.agentOf(this.cameraId).catch(() => undefined);
    this.opening = false;
    if (seq !== this.callSeq || this.stopped) return;
    if (!agentId) return this.failed(seq, 'the hub does not know this camera any more');
    this.agentId = agentId;
    const call = this.deps.open(agentId, this.cameraId, this.stream);
    this.call = call;
    let head: MediaHead<'live'> | undefined;
    const early: Buffer[] = [];
    // The head message comes before any packet, but its promise settles a turn later than
    // packets read in the same chunk: those wait for it here (at most a few).
    call.onPacket((p) => {
      if (seq !== this.callSeq) return;
      if (head) this.packet(head, p);
      else if (early.length < 64) early.push(p);
    });
    call.head.then((h) => {
      if (seq !== this.callSeq) return;
      head = h;
      for (const p of early.splice(0)) this.packet(h, p);
    }, () => undefined);
    call.end.then(
      () => this.failed(seq, 'the site agent ended the live stream'),
      (err: Error) => this.failed(seq, err.message),
    );
  }

  private packet(head: MediaHead<'live'>, p: Buffer): void {
    const flag = p[0] ?? 0;
    const data = p.subarray(1);
    if (flag & LivePacket.init) {
      this.info = { codec: head.codec, width: head.width, height: head.height };
      this.init = data;
      this.gop = [];
      this.gopBytes = 0;
      for (const v of this.viewers) v.stream(this.info, data);
      return;
    }
    if (!this.init) return;
    const keyframe = (flag & LivePacket.keyframe) !== 0;
    this.keep(data, keyframe);
    if (this.current.state !== 'playing') {
      this.attempt = 0;
      this.setStatus({ state: 'playing' });
    }
    for (const v of this.viewers) v.fragment(data, keyframe);
  }

  /** The fragments since the last keyframe, or none when that GOP has grown too big to keep. */
  private keep(data: Buffer, keyframe: boolean): void {
    if (keyframe) { this.gop = [data]; this.gopBytes = data.length; return; }
    if (!this.gop.length) return;
    if (this.gopBytes + data.length > this.tuning.gopMaxBytes) { this.gop = []; this.gopBytes = 0; return; }
    this.gop.push(data);
    this.gopBytes += data.length;
  }

  private failed(seq: number, reason: string): void {
    if (seq !== this.callSeq || this.stopped) return;
    this.call = undefined;
    this.init = undefined;
    this.gop = [];
    this.gopBytes = 0;
    this.setStatus({ state: 'offline', reason });
    if (!this.viewers.size) return;
    const delays = this.tuning.retryMs;
    const delay = delays[Math.min(this.attempt, delays.length - 1)] ?? 10_000;
    this.attempt++;
    this.deps.log.info({ cameraId: this.cameraId, stream: this.stream, reason, retryInMs: delay }, 'live stream unavailable; retrying');
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }

  private setStatus(s: LiveStatus): void {
    if (s.state === this.current.state && s.reason === this.current.reason) return;
    this.current = s;
    for (const v of this.viewers) v.status(s);
  }
}
