import { EventEmitter } from 'node:events';
import {
  AGENT_WS_PATH, AgentCloseCode, AgentToHub, HubToAgent, MAX_MESSAGE_BYTES, backoffDelay, createDecoder, envelope,
  type AgentEvent, type Message,
} from '@sargs/shared';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { Outbox } from './outbox';
import { Waker } from '../util/waker';
import type { RequestRouter } from './request-router';

const decode = createDecoder(HubToAgent);
/** Unacknowledged events on the wire at once: enough to fill a slow link, small enough to resend. */
const WINDOW = 100;
/** Outbox entries read per step: a flight log chunk is ~0.7 MB, so a whole window at once could be 70 MB. */
const READ_BATCH = 16;
/** Stop handing the socket more while this much is still unsent; the next ack pumps again. */
const MAX_BUFFERED_BYTES = 2 * 1024 * 1024;
const PING_INTERVAL_MS = 15_000;

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'refused' | 'stopped';

export interface HubLinkSettings {
  hubUrl: string;
  enrolmentToken: string;
  agentName: string;
  version: string;
  hostname: string;
  statusIntervalMs: number;
  /** Backoff bounds; tests shorten them. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface HubLinkDeps {
  outbox: Outbox;
  log: Logger;
  /** Live status sent every statusIntervalMs (lossy: the newest wins). */
  status: () => { uptimeS: number; cameras: number; drones: number };
  random?: () => number;
  /** Answers the hub's requests; without one every request gets "unknown-op". */
  requests?: RequestRouter;
}

export interface HubLinkEvents {
  state: [LinkState, string?];
  welcome: [{ agentId: string; siteId: string; siteName: string }];
  acked: [number];
}

/**
 * The agent's one outbound WebSocket to the hub. It reconnects with jittered backoff,
 * sends outbox events in order with a bounded window, and deletes them only when the
 * hub acknowledges their sequence number.
 */
export class HubLink extends EventEmitter<HubLinkEvents> {
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly waker = new Waker();
  private ws: WebSocket | undefined;
  private cursor = 0;
  private acked = 0;
  private pumping = false;
  /** Hub messages are handled one at a time, in arrival order. */
  private handling: Promise<void> = Promise.resolve();
  private pumpAgain = false;
  /** True between the hub's welcome and the socket closing: only then may events flow. */
  private ready = false;
  state: LinkState = 'disconnected';
  refusal: string | undefined;

  constructor(private settings: HubLinkSettings, private readonly deps: HubLinkDeps) {
    super();
    deps.outbox.on('added', () => void this.pump());
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
    this.setState('stopped');
  }

  /** New settings apply on the next connection; the current one is closed so that is now. */
  reload(settings: HubLinkSettings): void {
    this.settings = settings;
    this.ws?.close(1012, 'agent configuration changed');
    this.waker.wake();
  }

  private setState(s: LinkState, detail?: string): void {
    this.state = s;
    this.emit('state', s, detail);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const welcomed = await this.session(signal);
      if (signal.aborted) break;
      attempt = welcomed ? 0 : attempt + 1;
      const delay = backoffDelay(attempt, { baseMs: this.settings.backoffBaseMs ?? 1000, maxMs: this.settings.backoffMaxMs ?? 30_000, random: this.deps.random });
      this.deps.log.info({ delayMs: delay, attempt }, 'reconnecting to hub later');
      await this.waker.sleep(delay, signal);
    }
  }

  /** One connection from dial to close. Resolves true if the hub welcomed us. */
  private session(signal: AbortSignal): Promise<boolean> {
    const { log } = this.deps;
    const url = new URL(AGENT_WS_PATH, this.settings.hubUrl.replace(/\/+$/, '') + '/').toString();
    this.setState('connecting');
    return new Promise<boolean>((resolve) => {
      let welcomed = false;
      const ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${this.settings.enrolmentToken}` },
        maxPayload: MAX_MESSAGE_BYTES,
        handshakeTimeout: 10_000,
      });
      this.ws = ws;
      let statusTimer: NodeJS.Timeout | undefined;
      let pingTimer: NodeJS.Timeout | undefined;
      let alive = true;

      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => { if (body.length < 2048) body += c.toString(); });
        res.on('end', () => {
          let reason = `HTTP ${res.statusCode}`;
          try { reason = (JSON.parse(body) as { error?: string }).error ?? reason; } catch { /* not JSON: keep the status */ }
          if (res.statusCode === 401 || res.statusCode === 403) {
            this.refusal = reason;
            log.error({ reason }, 'hub refused this agent');
            this.setState('refused', reason);
          } else log.warn({ reason }, 'hub answered the upgrade with an error');
          ws.terminate();
        });
      });
      ws.on('open', () => {
        this.refusal = undefined;
        ws.send(envelope(AgentToHub, 'hello', {
          agentName: this.settings.agentName, version: this.settings.version, hostname: this.settings.hostname, lastSeq: this.deps.outbox.highestSeq,
        }));
      });
      ws.on('pong', () => { alive = true; });
      ws.on('message', (data, isBinary) => {
        const r = isBinary ? { ok: false as const, reason: 'binary frame' } : decode(data as Buffer);
        if (!r.ok) {
          log.warn({ reason: r.reason }, 'rejected message from hub');
          if (ws.readyState === ws.OPEN) ws.send(envelope(AgentToHub, 'error', { reason: r.reason }));
          return;
        }
        this.handling = this.handling.then(() => this.handle(r.message)).then(() => {
          if (r.message.type !== 'welcome' || welcomed) return;
          welcomed = true;
          this.setState('connected');
          this.sendStatus();
          statusTimer = setInterval(() => this.sendStatus(), this.settings.statusIntervalMs);
          pingTimer = setInterval(() => {
            if (!alive) return ws.terminate(); // the hub vanished without closing: don't wait for TCP to notice
            alive = false;
            ws.ping();
          }, PING_INTERVAL_MS);
        }).catch((err: unknown) => log.error({ err }, 'handling hub message failed'));
      });
      ws.on('error', (err) => log.warn({ err: err.message }, 'hub connection error'));
      ws.on('close', (code, reasonBuf) => {
        clearInterval(statusTimer);
        clearInterval(pingTimer);
        this.ws = undefined;
        this.ready = false;
        const reason = reasonBuf.toString();
        if (code === AgentCloseCode.unauthorized) {
          this.refusal = reason;
          log.error({ reason }, 'hub refused this agent');
          this.setState('refused', reason);
        } else if (this.state !== 'refused') {
          if (!signal.aborted) log.warn({ code, reason }, 'hub connection closed');
          this.setState('disconnected', reason);
        }
        resolve(welcomed);
      });
    });
  }

  private async handle(msg: Message<typeof HubToAgent>): Promise<void> {
    switch (msg.type) {
      case 'welcome':
        this.deps.log.info({ siteName: msg.body.siteName, ackedSeq: msg.body.ackedSeq }, 'connected to hub');
        await this.deps.outbox.ackUpTo(msg.body.ackedSeq);
        this.acked = msg.body.ackedSeq;
        this.cursor = msg.body.ackedSeq;
        this.ready = true;
        this.emit('welcome', msg.body);
        await this.pump();
        return;
      case 'ack':
        if (msg.body.seq > this.acked) {
          await this.deps.outbox.ackUpTo(msg.body.seq);
          this.acked = msg.body.seq;
          this.emit('acked', msg.body.seq);
        }
        if (this.cursor < this.acked) this.cursor = this.acked;
        await this.pump();
        return;
      case 'request': {
        const id = msg.id;
        if (!id) return this.sendRaw(envelope(AgentToHub, 'error', { reason: 'request without id' }));
        const op = msg.body.op;
        // Not awaited: a slow request (a discovery scan) must not hold up acks behind it.
        void (this.deps.requests?.handle(op, msg.body.args) ?? Promise.resolve({ ok: false as const, error: { code: 'unknown-op' as const, message: `this agent does not handle "${op}"` } }))
          .then((r) => this.sendRaw(envelope(AgentToHub, 'response', r, { id })));
        return;
      }
      case 'error':
        this.deps.log.warn({ reason: msg.body.reason }, 'hub reported a protocol error');
        // After a gap the hub keeps its watermark: resend everything after it.
        if (msg.body.reason.startsWith('sequence gap')) this.cursor = this.acked;
        return;
    }
  }

  /** Sends outbox entries after the cursor while the window has room. */
  private async pump(): Promise<void> {
    if (!this.ready) return;
    if (this.pumping) { this.pumpAgain = true; return; }
    this.pumping = true;
    this.pumpAgain = false;
    try {
      const open = () => this.ws?.readyState === WebSocket.OPEN && this.ws.bufferedAmount <= MAX_BUFFERED_BYTES;
      while (open() && this.cursor - this.acked < WINDOW) {
        const batch = await this.deps.outbox.after(this.cursor, Math.min(READ_BATCH, WINDOW - (this.cursor - this.acked)));
        if (!batch.length) break;
        for (const e of batch) {
          if (!open() || !this.ws) break;
          this.ws.send(envelope(AgentToHub, 'event', e.event, { seq: e.seq }));
          this.cursor = e.seq;
        }
      }
    } finally {
      this.pumping = false;
    }
    // Something was added while we were reading: LevelDB's snapshot may not have shown it.
    if (this.pumpAgain) await this.pump();
  }

  private sendRaw(text: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** Lossy live data (camera list): sent now if connected, otherwise dropped; the next one replaces it. */
  sendLive<K extends 'cameras' | 'vehicles'>(type: K, body: Parameters<typeof envelope<typeof AgentToHub, K>>[2]): boolean {
    if (!this.ready || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(envelope(AgentToHub, type, body));
    return true;
  }

  private sendStatus(): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    const s = this.deps.status();
    this.ws.send(envelope(AgentToHub, 'status', { ...s, outboxPending: this.deps.outbox.size }));
  }
}

export type { AgentEvent };
