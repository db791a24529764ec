import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import {
  AgentCloseCode, AgentMediaMessage, LIVE_ACK_STEP, MEDIA_ID_BYTES, MEDIA_WS_PATH, MediaOps,
  type HubMediaMessage, type MediaArgs, type MediaEnd, type MediaErrorCode, type MediaHead, type MediaOp,
} from '@sargs/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { agentTokenCheck } from '../agents/enrolment';
import type { HubStore } from '../store/hub-store';

/** Why a media call failed: the agent's own code, or `unreachable` when it could not be asked or went away. */
export class MediaCallError extends Error {
  constructor(readonly code: MediaErrorCode | 'unreachable' | 'protocol', message: string) { super(message); }
}

/** One call to an agent's media link (shared/src/protocol/media.ts). */
export interface MediaCall<K extends MediaOp> {
  /** The op's metadata; rejects with a MediaCallError. */
  readonly head: Promise<MediaHead<K>>;
  /** Bounded calls: the bytes, paced by credit as this stream is read. Errors with a MediaCallError. */
  readonly body: Readable;
  /** Settles when the agent ends the call (with its end metadata) or it fails. */
  readonly end: Promise<MediaEnd<K>>;
  /** Live calls: every payload goes here instead of `body`, with no credit (the agent drops when congested). */
  onPacket(cb: (payload: Buffer) => void): void;
  cancel(): void;
}

/** Credit is returned in pieces at least this big, so a fast reader does not answer every frame. */
const CREDIT_STEP = 1024 * 1024;
const PING_INTERVAL_MS = 15_000;
const checks = Object.fromEntries(Object.entries(MediaOps).map(([op, s]) => [op, { head: TypeCompiler.Compile(s.head), end: TypeCompiler.Compile(s.end) }]));
const messageCheck = TypeCompiler.Compile(AgentMediaMessage);

interface OpenCall {
  op: MediaOp;
  ws: WebSocket;
  gotHead: boolean;
  head: { resolve: (v: unknown) => void; reject: (e: Error) => void };
  end: { resolve: (v: unknown) => void; reject: (e: Error) => void };
  body: Readable;
  packet: ((b: Buffer) => void) | undefined;
  uncredited: number;
}

export interface MediaGatewayEvents {
  connected: [agentId: string];
  disconnected: [agentId: string];
}

/**
 * The hub end of the agents' media links: authenticates each with its enrolment token, keeps
 * one socket per agent, and runs calls on it. Components ask for video through open().
 */
export class MediaGateway extends EventEmitter<MediaGatewayEvents> {
  private readonly sockets = new Map<string, WebSocket>();
  private readonly calls = new Map<string, OpenCall>();

  constructor(private readonly deps: { store: HubStore; log: FastifyBaseLogger }) { super(); }

  register(app: FastifyInstance): void {
    app.get(MEDIA_WS_PATH, {
      websocket: true,
      config: { access: 'agent' },
      schema: { hide: true } as object,
      preValidation: agentTokenCheck(this.deps.store, this.deps.log, 'media'),
    }, (socket, req) => this.accept(socket, req.agent!.id));
  }

  isConnected(agentId: string): boolean {
    return this.sockets.get(agentId)?.readyState === 1;
  }

  /** Ends a revoked agent's media link at once. */
  disconnect(agentId: string): void {
    this.sockets.get(agentId)?.close(AgentCloseCode.unauthorized, 'enrolment token has been revoked');
  }

  closeAll(): void {
    for (const ws of this.sockets.values()) ws.close(1001, 'hub shutting down');
  }

  open<K extends MediaOp>(agentId: string, op: K, args: MediaArgs<K>): MediaCall<K> {
    const id = randomBytes(MEDIA_ID_BYTES).toString('hex');
    const ws = this.sockets.get(agentId);
    let headSettle!: OpenCall['head'];
    let endSettle!: OpenCall['end'];
    const head = new Promise<MediaHead<K>>((resolve, reject) => { headSettle = { resolve: resolve as (v: unknown) => void, reject }; });
    const end = new Promise<MediaEnd<K>>((resolve, reject) => { endSettle = { resolve: resolve as (v: unknown) => void, reject }; });
    // Nobody may be waiting on one of them; the failure is also seen through the other.
    head.catch(() => undefined);
    end.catch(() => undefined);
    const call: OpenCall = {
      op, ws: ws!, gotHead: false, head: headSettle, end: endSettle, packet: undefined, uncredited: 0,
      body: new Readable({
        highWaterMark: 2 * CREDIT_STEP,
        // Called each time the reader takes a chunk and the buffer is below its mark, i.e. after
        // nearly every frame: credit still goes back only in whole steps (it used to go back per
        // frame, a text message each way for every 120 KiB of an export). No stall: a sender out
        // of credit has at least MEDIA_INITIAL_CREDIT - MEDIA_CHUNK_BYTES uncredited here.
        read: () => { if (this.calls.has(id)) this.returnCredit(call, id, CREDIT_STEP); },
        destroy: (err, cb) => { if (this.calls.has(id)) this.cancelCall(id); cb(err); },
      }),
    };
    call.body.on('error', () => undefined);
    const handle: MediaCall<K> = {
      head, end, body: call.body,
      onPacket: (cb) => { call.packet = cb; },
      cancel: () => this.cancelCall(id),
    };
    if (!ws || ws.readyState !== 1) {
      this.fail(call, new MediaCallError('unreachable', 'the site agent has no media link to the hub'));
      return handle;
    }
    this.calls.set(id, call);
    this.send(ws, { t: 'open', id, op, args });
    return handle;
  }

  private cancelCall(id: string): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    this.send(call.ws, { t: 'cancel', id });
    this.fail(call, new MediaCallError('failed', 'cancelled'));
  }

  private fail(call: OpenCall, err: MediaCallError): void {
    call.head.reject(err);
    call.end.reject(err);
    if (!call.body.destroyed) call.body.destroy(err);
  }

  private accept(ws: WebSocket, agentId: string): void {
    const log = this.deps.log.child({ agentId, link: 'media' });
    const previous = this.sockets.get(agentId);
    if (previous) previous.close(AgentCloseCode.replaced, 'replaced by a newer connection');
    this.sockets.set(agentId, ws);
    let alive = true;
    ws.on('pong', () => { alive = true; });
    const pingTimer = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_INTERVAL_MS);

    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) return this.onBinary(ws, buf, log);
      let msg: unknown;
      try { msg = JSON.parse(buf.toString()); } catch { msg = undefined; }
      if (!messageCheck.Check(msg)) return void log.warn('malformed media message from agent: ignored');
      this.onText(ws, msg, log);
    });
    ws.on('close', () => {
      clearInterval(pingTimer);
      for (const [id, call] of this.calls) {
        if (call.ws !== ws) continue;
        this.calls.delete(id);
        this.fail(call, new MediaCallError('unreachable', 'the site agent\'s media link closed'));
      }
      if (this.sockets.get(agentId) !== ws) return;
      this.sockets.delete(agentId);
      log.info('media link closed');
      this.emit('disconnected', agentId);
    });
    ws.on('error', (err) => log.warn({ err: err.message }, 'media link error'));
    log.info('media link connected');
    this.emit('connected', agentId);
  }

  private onBinary(ws: WebSocket, buf: Buffer, log: FastifyBaseLogger): void {
    if (buf.length <= MEDIA_ID_BYTES) return void log.warn('media frame too short: ignored');
    const id = buf.subarray(0, MEDIA_ID_BYTES).toString('hex');
    const call = this.calls.get(id);
    // Frames still in flight after a cancel are expected; frames for a call of another socket are not.
    if (!call || call.ws !== ws) return;
    const payload = buf.subarray(MEDIA_ID_BYTES);
    if (call.packet) {
      // Live: acknowledged on receipt (the agent bounds what it has in flight), whatever the viewers do.
      call.uncredited += payload.length;
      this.returnCredit(call, id, LIVE_ACK_STEP);
      return call.packet(payload);
    }
    call.uncredited += payload.length;
    call.body.push(payload);
    if (call.body.readableLength < call.body.readableHighWaterMark) this.returnCredit(call, id, CREDIT_STEP);
  }

  /** Gives the agent back what this call has taken since the last time, once it is at least `step` bytes. */
  private returnCredit(call: OpenCall, id: string, step: number): void {
    if (call.uncredited < step) return;
    this.send(call.ws, { t: 'credit', id, bytes: call.uncredited });
    call.uncredited = 0;
  }

  private onText(ws: WebSocket, msg: AgentMediaMessage, log: FastifyBaseLogger): void {

    const call = this.calls.get(msg.id);
    if (!call || call.ws !== ws) return;
    if (msg.t === 'error') {
      this.calls.delete(msg.id);
      return this.fail(call, new MediaCallError(msg.code, msg.message));
    }
    const check = checks[call.op]![msg.t];
    if (!check.Check(msg.meta)) {
      log.warn({ op: call.op, part: msg.t }, 'malformed media metadata from agent');
      this.cancelCall(msg.id);
      return this.fail(call, new MediaCallError('protocol', `the site agent answered "${call.op}" with malformed ${msg.t} metadata`));
    }
    if (msg.t === 'head') {
      call.gotHead = true;
      return call.head.resolve(msg.meta);
    }
    this.calls.delete(msg.id);
    if (!call.gotHead) call.head.reject(new MediaCallError('protocol', `the site agent ended "${call.op}" without a head`));
    call.end.resolve(msg.meta);
    call.body.push(null);
  }

  private send(ws: WebSocket, msg: HubMediaMessage): void {
    if (ws.readyState === 1) ws.send(JSON.stringify(msg));
  }
}
