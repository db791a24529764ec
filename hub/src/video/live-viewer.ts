import type { WebSocket } from 'ws';

/** What a channel says about its stream, as the browser hears it. */
export interface LiveStreamInfo { codec: string; width: number; height: number }
export type LiveStatus = { state: 'waiting' | 'playing' | 'offline'; reason?: string };

/** The channel's side of a viewer: the calls a LiveChannel makes on each of its viewers. */
export interface LiveSink {
  status(s: LiveStatus): void;
  /** A (new) init segment; a viewer that already has this exact init hears nothing. */
  stream(info: LiveStreamInfo, init: Buffer): void;
  fragment(data: Buffer, keyframe: boolean): void;
}

export interface ViewerLimits {
  /** Above this many bytes waiting in the socket, fragments are skipped up to the next keyframe. */
  highWaterBytes: number;
  /** A socket with data waiting and nothing written for this long is closed. */
  stuckMs: number;
}

export const DEFAULT_VIEWER_LIMITS: ViewerLimits = { highWaterBytes: 1024 * 1024, stuckMs: 5000 };

/**
 * One browser watching a channel over its WebSocket. The socket's own buffer is the viewer's
 * queue, bounded: past `highWaterBytes` the viewer skips to the next keyframe (what it gets always
 * decodes, and a slow viewer never holds up the others or grows the hub's memory by more than one
 * fragment). A socket that writes nothing for `stuckMs` while data waits is terminated.
 */
export class LiveViewer implements LiveSink {
  private sentInit: Buffer | undefined;
  private skipping = true;
  private waiting = 0;
  private lastWriteAt = Date.now();
  private readonly checker: NodeJS.Timeout;
  sent = 0;
  dropped = 0;
  closedAsStuck = false;

  constructor(private readonly ws: WebSocket, private readonly limits: ViewerLimits = DEFAULT_VIEWER_LIMITS, private readonly now: () => number = Date.now) {
    this.checker = setInterval(() => this.check(), Math.min(1000, limits.stuckMs / 2));
    this.checker.unref();
    ws.once('close', () => clearInterval(this.checker));
  }

  status(s: LiveStatus): void {
    this.sendText({ type: 'state', ...s });
  }

  stream(info: LiveStreamInfo, init: Buffer): void {
    if (this.sentInit?.equals(init)) return;
    this.sentInit = init;
    this.sendText({ type: 'stream', codec: info.codec, width: info.width, height: info.height });
    this.send(init);
    this.skipping = true;
  }

  fragment(data: Buffer, keyframe: boolean): void {
    if (!this.sentInit || (this.skipping && !keyframe)) { this.dropped++; return; }
    if (this.ws.bufferedAmount > this.limits.highWaterBytes) { this.skipping = true; this.dropped++; return; }
    this.skipping = false;
    this.sent++;
    this.send(data);
  }

  stop(): void {
    clearInterval(this.checker);
  }

  private sendText(msg: object): void {
    this.send(JSON.stringify(msg));
  }

  private send(data: Buffer | string): void {
    if (this.ws.readyState !== 1) return;
    // The stuck clock starts when the queue stops being empty, not at the last write long ago.
    if (this.waiting === 0) this.lastWriteAt = this.now();
    this.waiting++;
    this.ws.send(data, { binary: typeof data !== 'string' }, () => {
      this.waiting--;
      this.lastWriteAt = this.now();
    });
  }

  private check(): void {
    if (this.waiting === 0 || this.now() - this.lastWriteAt <= this.limits.stuckMs) return;
    this.closedAsStuck = true;
    clearInterval(this.checker);
    this.ws.terminate();
  }
}
