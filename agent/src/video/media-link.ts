import {
  AgentCloseCode, HubMediaMessage, LIVE_WINDOW_BYTES, MEDIA_CHUNK_BYTES, MEDIA_ID_BYTES, MEDIA_INITIAL_CREDIT, MEDIA_WS_PATH, MediaOps, backoffDelay,
  type AgentMediaMessage, type MediaArgs, type MediaEnd, type MediaErrorCode, type MediaHead, type MediaOp,
} from '@sargs/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { Waker } from '../util/waker';

/** A media call failed for a reason the hub should hear (a missing segment, an offline camera). */
export class MediaError extends Error {
  constructor(readonly code: MediaErrorCode, message: string) { super(message); }
}

/** What a handler uses to answer one call. */
export interface MediaReply<K extends MediaOp> {
  head(meta: MediaHead<K>): void;
  /** Bounded calls: resolves once the chunk is sent within the hub's credit (waits for credit, never drops). */
  write(chunk: Buffer): Promise<void>;
  /**
   * Bounded calls, without a copy: `frame`'s first MEDIA_ID_BYTES bytes are free (the call id
   * goes there), the rest is the payload (at most MEDIA_CHUNK_BYTES). Frames go out in the order
   * of the calls, each within the hub's credit; the promise resolves once the socket is done
   * with the buffer, so the caller may write the next frames before it resolves but must not
   * reuse this buffer until it has.
   */
  writeFramed(frame: Buffer): Promise<void>;
  /** Live calls: sends at once and returns true, or returns false without sending while the link is congested. */
  push(payload: Buffer): boolean;
  /** Bytes the socket still holds for the hub, for a live sender deciding to skip to the next keyframe. */
  readonly bufferedBytes: number;
  end(meta: MediaEnd<K>): void;
}

export type MediaHandler<K extends MediaOp> = (args: MediaArgs<K>, reply: MediaReply<K>, signal: AbortSignal) => Promise<void>;

export interface MediaLinkSettings {
  hubUrl: string;
  enrolmentToken: string;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** Live payloads are refused above this much unsent data on the socket: about 0.25 s of an 8 Mbit/s uplink. */
export const LIVE_CONGESTED_BYTES = 256 * 1024;
/** A bounded call waits for the socket to drain above this, so a fast disk never piles frames up in memory. */
const SOCKET_HIGH_WATER = 4 * 1024 * 1024;
const PING_INTERVAL_MS = 15_000;

const argChecks = Object.fromEntries(Object.entries(MediaOps).map(([op, s]) => [op, TypeCompiler.Compile(s.args)]));
const messageCheck = TypeCompiler.Compile(HubMediaMessage);

interface Call {
  live: boolean;
  /** Live: bytes pushed that the hub has not acknowledged yet. */
  unacked: number;
  abort: AbortController;
  credit: number;
  creditWaiter: (() => void) | undefined;
  done: boolean;
  /** The last writeFramed frame's turn to be sent: the next waits for it. */
  framed: Promise<void>;
}

/**
 * The agent's second WebSocket to the hub, for video only (shared/src/protocol/media.ts). It
 * dials out like the main link, reconnects with backoff, and runs the handler registered for
 * each call the hub opens. Every call is aborted when the connection drops; the hub reopens
 * what it still needs.
 */
export class MediaLink {
  private readonly handlers = new Map<string, MediaHandler<MediaOp>>();
  private readonly calls = new Map<string, Call>();
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly waker = new Waker();
  private ws: WebSocket | undefined;
  private readonly releases: (() => void)[] = [];
  /** Live bytes unacknowledged on this connection, all calls together (see LIVE_WINDOW_BYTES). */
  private liveInFlight = 0;
  /** Whether this connection's hub acknowledges live bytes (from its first acknowledgement). */
  private hubAcksLive = false;
  connected = false;

  constructor(private settings: MediaLinkSettings, private readonly deps: { log: Logger; random?: () => number }) {}

  handle<K extends MediaOp>(op: K, handler: MediaHandler<K>): void {
    this.handlers.set(op, handler as unknown as MediaHandler<MediaOp>);
  }

  /** Run when the link stops for good: what handlers keep ready between calls (a parked ffmpeg) goes with it. */
  onStop(release: () => void): void {
    this.releases.push(release);
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.ws?.close(1001, 'agent stopping');
    this.waker.wake();
    await this.loop;
    this.loop = undefined;
    for (const release of this.releases) release();
  }

  reload(settings: MediaLinkSettings): void {
    this.settings = settings;
    this.ws?.close(1012, 'agent configuration changed');
    this.waker.wake();
  }

  private async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const opened = await this.session();
      if (signal.aborted) break;
      attempt = opened ? 0 : attempt + 1;
      await this.waker.sleep(backoffDelay(attempt, { baseMs: this.settings.backoffBaseMs ?? 1000, maxMs: this.settings.backoffMaxMs ?? 30_000, random: this.deps.random }), signal);
    }
  }

  /** One connection; resolves true if it opened. */
  private session(): Promise<boolean> {
    const { log } = this.deps;
    const url = new URL(MEDIA_WS_PATH, this.settings.hubUrl.replace(/\/+$/, '') + '/').toString();
    return new Promise<boolean>((resolve) => {
      let opened = false;
      let alive = true;
      let pingTimer: NodeJS.Timeout | undefined;
      const ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${this.settings.enrolmentToken}` },
        perMessageDeflate: false, // video does not compress; deflating it only costs CPU
        // An all-zero mask: ws then neither masks here nor unmasks at the hub. Masking guards
        // browsers against proxy cache poisoning; this link is our own (wss in production), and
        // masking every byte in JavaScript at both ends cost more than all the rest of an export.
        generateMask: (mask: Buffer) => { mask.fill(0); },
        handshakeTimeout: 10_000,
        maxPayload: 64 * 1024,
      });
      this.ws = ws;
      ws.on('unexpected-response', (_req, res) => {
        log.warn({ status: res.statusCode }, 'hub refused the media link');
        res.resume();
        ws.terminate();
      });
      ws.on('open', () => {
        opened = true;
        this.connected = true;
        this.liveInFlight = 0;
        this.hubAcksLive = false;
        log.info('media link connected');
        pingTimer = setInterval(() => {
          if (!alive) return ws.terminate();
          alive = false;
          ws.ping();
        }, PING_INTERVAL_MS);
      });
      ws.on('pong', () => { alive = true; });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return void log.warn('binary frame from hub on the media link: ignored');
        let msg: unknown;
        try { msg = JSON.parse((data as Buffer).toString()); } catch { msg = undefined; }
        if (!messageCheck.Check(msg)) return void log.warn('malformed media message from hub: ignored');
        this.onMessage(ws, msg);
      });
      ws.on('error', (err) => log.warn({ err: err.message }, 'media link error'));
      ws.on('close', (code, reason) => {
        clearInterval(pingTimer);
        this.connected = false;
        if (this.ws === ws) this.ws = undefined;
        for (const call of this.calls.values()) call.abort.abort();
        this.calls.clear();
        if (code === AgentCloseCode.unauthorized) log.error({ reason: reason.toString() }, 'hub refused the media link');
        else if (opened) log.warn({ code }, 'media link closed');
        resolve(opened);
      });
    });
  }

  private onMessage(ws: WebSocket, msg: HubMediaMessage): void {
    const call = this.calls.get(msg.id);
    if (msg.t === 'cancel') {
      if (call) { call.done = true; call.abort.abort(); this.forget(msg.id, call); }
      return;
    }
    if (msg.t === 'credit') {
      if (call?.live) {
        const n = Math.min(msg.bytes, call.unacked);
        call.unacked -= n;
        this.liveInFlight -= n;
        this.hubAcksLive = true;
      } else if (call) { call.credit += msg.bytes; call.creditWaiter?.(); }
      return;
    }
    if (call) return this.sendText(ws, { t: 'error', id: msg.id, code: 'bad-args', message: 'a call with this id is already open' });
    const handler = this.handlers.get(msg.op);
    if (!handler) return this.sendText(ws, { t: 'error', id: msg.id, code: 'unknown-op', message: `this agent does not serve "${msg.op}"` });
    const check = argChecks[msg.op];
    if (!check?.Check(msg.args)) {
      const e = check?.Errors(msg.args).First();
      return this.sendText(ws, { t: 'error', id: msg.id, code: 'bad-args', message: e ? `${e.path || '/'}: ${e.message}` : 'invalid arguments' });
    }
    const c: Call = {
      live: msg.op === 'live', unacked: 0, abort: new AbortController(), credit: MEDIA_INITIAL_CREDIT, creditWaiter: undefined, done: false, framed: Promise.resolve(),
    };
    this.calls.set(msg.id, c);
    c.abort.signal.addEventListener('abort', () => c.creditWaiter?.(), { once: true });
    const reply = this.reply(ws, msg.id, c);
    handler(msg.args as MediaArgs<MediaOp>, reply, c.abort.signal).then(
      () => { if (!c.done) reply.end({} as MediaEnd<MediaOp>); },
      (err: unknown) => {
        if (c.done || c.abort.signal.aborted) return;
        const known = err instanceof MediaError;
        if (!known) this.deps.log.error({ err, op: msg.op }, 'media call failed');
        c.done = true;
        this.forget(msg.id, c);
        this.sendText(ws, { t: 'error', id: msg.id, code: known ? err.code : 'failed', message: known ? err.message : 'the agent could not serve this' });
      },
    );
  }

  private reply<K extends MediaOp>(ws: WebSocket, id: string, call: Call): MediaReply<K> {
    const idBytes = Buffer.from(id, 'hex');
    const open = () => !call.done && !call.abort.signal.aborted && ws.readyState === WebSocket.OPEN;
    const frame = (payload: Buffer) => {
      const f = Buffer.allocUnsafe(MEDIA_ID_BYTES + payload.length);
      idBytes.copy(f, 0);
      payload.copy(f, MEDIA_ID_BYTES);
      return f;
    };
    const credit = async (bytes: number) => {
      while (open() && call.credit < bytes) {
        await new Promise<void>((resolve) => { call.creditWaiter = resolve; });
        call.creditWaiter = undefined;
      }
      if (!open()) throw new MediaError('failed', 'the call ended');
      call.credit -= bytes;
    };
    return {
      head: (meta) => { if (open()) this.sendText(ws, { t: 'head', id, meta }); },
      end: (meta) => {
        if (!open()) return;
        call.done = true;
        this.forget(id, call);
        this.sendText(ws, { t: 'end', id, meta });
      },
      get bufferedBytes() { return ws.bufferedAmount; },
      push: (payload) => {
        if (!open() || ws.bufferedAmount > LIVE_CONGESTED_BYTES) return false;
        if (this.hubAcksLive && this.liveInFlight + payload.length > LIVE_WINDOW_BYTES) return false;
        ws.send(frame(payload), { binary: true });
        call.unacked += payload.length;
        this.liveInFlight += payload.length;
        return true;
      },
      writeFramed: (f) => {
        if (f.length <= MEDIA_ID_BYTES || f.length > MEDIA_ID_BYTES + MEDIA_CHUNK_BYTES) throw new RangeError(`a media frame holds 1 to ${MEDIA_CHUNK_BYTES} bytes after the call id`);
        let flushed!: Promise<void>;
        // Credit is taken in the order of the calls; the socket's callback says when the buffer is free.
        const turn = call.framed.then(async () => {
          await credit(f.length - MEDIA_ID_BYTES);
          idBytes.copy(f, 0);
          flushed = new Promise<void>((resolve, reject) => ws.send(f, { binary: true }, (err) => (err ? reject(err) : resolve())));
          flushed.catch(() => undefined);
          // Far ahead of the socket: the next frame waits until this one is written.
          if (ws.bufferedAmount > SOCKET_HIGH_WATER) await flushed;
        });
        call.framed = turn.catch(() => undefined);
        return turn.then(() => flushed);
      },
      write: async (chunk) => {
        for (let at = 0; at < chunk.length; at += MEDIA_CHUNK_BYTES) {
          const piece = chunk.subarray(at, at + MEDIA_CHUNK_BYTES);
          await credit(piece.length);
          if (ws.bufferedAmount > SOCKET_HIGH_WATER) {
            await new Promise<void>((resolve, reject) => ws.send(frame(piece), { binary: true }, (err) => (err ? reject(err) : resolve())));
          } else ws.send(frame(piece), { binary: true });
        }
      },
    };
  }

  /** A call is over: what it had unacknowledged no longer counts against the live window. */
  private forget(id: string, call: Call): void {
    this.calls.delete(id);
    this.liveInFlight -= call.unacked;
    call.unacked = 0;
  }

  private sendText(ws: WebSocket, msg: AgentMediaMessage): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }
}
