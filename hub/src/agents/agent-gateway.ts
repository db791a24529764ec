import { randomUUID } from 'node:crypto';
import {
  AGENT_WS_PATH, AgentCloseCode, AgentRequests, AgentToHub, HubToAgent, MAX_MESSAGE_BYTES, createDecoder, envelope,
  type AgentEvent, type Message, type RequestArgs, type RequestErrorCode, type RequestOp, type RequestResult, type VehicleList,
} from '@sargs/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Fleet } from '../fleet/fleet';
import type { HubStore } from '../store/hub-store';
import type { AgentRecord } from '../store/records';
import { agentTokenCheck } from './enrolment';

const decode = createDecoder(AgentToHub);
const send = <K extends keyof typeof HubToAgent & string>(ws: WebSocket, type: K, body: Parameters<typeof envelope<typeof HubToAgent, K>>[2]) => {
  if (ws.readyState === ws.OPEN) ws.send(envelope(HubToAgent, type, body));
};

/** After this many bad messages on one connection the peer is assumed broken and dropped. */
const MAX_BAD_MESSAGES = 100;
const HELLO_TIMEOUT_MS = 10_000;
/** A gateway whose link died without a TCP close (a cut cable, a NAT timeout) is dropped after two missed pongs. */
const PING_INTERVAL_MS = 15_000;

const resultChecks = Object.fromEntries(Object.entries(AgentRequests).map(([op, s]) => [op, TypeCompiler.Compile(s.result)]));

/** A request to an agent failed: the agent said why, or it could not be asked. */
export class AgentRequestError extends Error {
  constructor(readonly code: RequestErrorCode, message: string) { super(message); }
}

/** Handles one stored outbox event of a kind; runs in sequence order before the ack. */
export type AgentEventHandler = (agent: AgentRecord, event: AgentEvent) => Promise<void> | void;
/** Handles a lossy live message (newest wins) from a connected agent. */
export type VehicleListHandler = (agent: AgentRecord, body: VehicleList) => void;

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; op: string; ws: WebSocket }


/**
 * The hub end of the agent link: authenticates the enrolment token before the upgrade,
 * stores outbox events exactly once and in order (by the agent's sequence numbers), and
 * keeps the fleet's online state.
 */
export class AgentGateway {
  private readonly sockets = new Map<string, WebSocket>();
  private readonly greeted = new Set<WebSocket>();
  private readonly pending = new Map<string, Pending>();
  private readonly eventHandlers = new Map<string, AgentEventHandler[]>();
  private readonly vehicleHandlers: VehicleListHandler[] = [];

  constructor(private readonly deps: { store: HubStore; fleet: Fleet; log: FastifyBaseLogger; now?: () => Date }) {}

  private now() { return this.deps.now?.() ?? new Date(); }

  register(app: FastifyInstance): void {
    app.get(AGENT_WS_PATH, {
      websocket: true,
      config: { access: 'agent' },
      preValidation: agentTokenCheck(this.deps.store, this.deps.log, 'main'),
    }, (socket, req) => this.accept(socket, req.agent as AgentRecord));
  }

  /**
   * Lets a hub component act on an outbox event kind (flights, vehicle links, lighting …)
   * without this gateway knowing it. A handler that throws is logged; the event stays stored.
   */
  onEvent(kind: string, handler: AgentEventHandler): void {
    const list = this.eventHandlers.get(kind) ?? [];
    list.push(handler);
    this.eventHandlers.set(kind, list);
  }

  /** Lets a hub component receive the agents' live vehicle lists. */
  onVehicles(handler: VehicleListHandler): void {
    this.vehicleHandlers.push(handler);
  }

  /** Ends a revoked agent's live connection at once. */
  disconnect(agentId: string, code: number, reason: string): void {
    this.sockets.get(agentId)?.close(code, reason);
  }

  /** Asks a connected agent to do something; the result is checked against the op's schema. */
  request<K extends RequestOp>(agentId: string, op: K, args: RequestArgs<K>, timeoutMs = 30_000): Promise<RequestResult<K>> {
    const ws = this.sockets.get(agentId);
    if (!ws || !this.greeted.has(ws) || ws.readyState !== ws.OPEN) return Promise.reject(new AgentRequestError('unreachable', 'the site agent is not connected'));
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentRequestError('timeout', `the site agent did not answer "${op}" within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, op, ws });
      ws.send(envelope(HubToAgent, 'request', { op, args }, { id }));
    });
  }

  private settle(id: string | undefined, body: Message<typeof AgentToHub> & { type: 'response' }): void {
    const p = id ? this.pending.get(id) : undefined;
    if (!p || !id) return void this.deps.log.warn({ id }, 'response to no pending request');
    this.pending.delete(id);
    clearTimeout(p.timer);
    const r = body.body;
    if (!r.ok) return p.reject(new AgentRequestError(r.error.code, r.error.message));
    const check = resultChecks[p.op];
    if (check && !check.Check(r.result)) return p.reject(new AgentRequestError('protocol', `the site agent answered "${p.op}" with a malformed result`));
    p.resolve(r.result);
  }

  closeAll(): void {
    for (const ws of this.sockets.values()) ws.close(1001, 'hub shutting down');
  }

  private accept(ws: WebSocket, first: AgentRecord): void {
    const log = this.deps.log.child({ agentId: first.id });
    const previous = this.sockets.get(first.id);
    if (previous) previous.close(AgentCloseCode.replaced, 'replaced by a newer connection');
    this.sockets.set(first.id, ws);

    let greeted = false;
    let bad = 0;
    const conn: { agentId: string; agent?: AgentRecord } = { agentId: first.id };
    // Messages are handled strictly one after another: storage order is sequence order.
    let chain: Promise<void> = Promise.resolve();
    const helloTimer = setTimeout(() => { if (!greeted) ws.close(AgentCloseCode.protocol, 'no hello received'); }, HELLO_TIMEOUT_MS);
    let alive = true;
    ws.on('pong', () => { alive = true; });
    const pingTimer = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_INTERVAL_MS);

    ws.on('message', (data, isBinary) => {
      chain = chain.then(async () => {
        if (isBinary) return this.reject(ws, log, 'binary frame (video goes on the media link)', ++bad);
        const r = decode(data as Buffer);
        if (!r.ok) return this.reject(ws, log, r.reason, ++bad, r.id);
        if (!greeted && r.message.type !== 'hello') return this.reject(ws, log, 'the first message must be hello', ++bad);
        if (r.message.type === 'hello') { greeted = true; this.greeted.add(ws); }
        await this.handle(ws, conn, r.message);
      }).catch((err: unknown) => log.error({ err }, 'agent message failed'));
    });

    ws.on('close', () => {
      this.greeted.delete(ws);
      for (const [id, p] of this.pending) {
        if (p.ws !== ws) continue;
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new AgentRequestError('unreachable', `the site agent disconnected before answering "${p.op}"`));
      }
      clearTimeout(helloTimer);
      clearInterval(pingTimer);
      if (this.sockets.get(first.id) !== ws) return;
      this.sockets.delete(first.id);
      void chain.then(async () => {
        const a = await this.deps.store.getAgent(first.id);
        if (!a) return;
        const seen = { ...a, lastSeen: this.now().toISOString() };
        await this.deps.store.putAgent(seen);
        this.deps.fleet.setLive(seen, { online: false, outboxPending: null });
        log.info('agent disconnected');
      }).catch((err: unknown) => log.error({ err }, 'marking agent offline failed'));
    });
    ws.on('error', (err) => log.warn({ err: err.message }, 'agent socket error'));
  }

  private reject(ws: WebSocket, log: FastifyBaseLogger, reason: string, count: number, ref?: string): void {
    log.warn({ reason }, 'rejected agent message');
    send(ws, 'error', ref ? { reason, ref } : { reason });
    if (count >= MAX_BAD_MESSAGES) ws.close(AgentCloseCode.protocol, 'too many invalid messages');
  }

  /**
   * The agent's record is read from the store at hello and then kept with the connection:
   * only this connection writes its watermark, and revoking closes it, so a read per
   * message would only slow a busy site down.
   */
  private async handle(ws: WebSocket, conn: { agentId: string; agent?: AgentRecord }, msg: Message<typeof AgentToHub>): Promise<void> {
    const agentId = conn.agentId;
    if (msg.type === 'hello' || !conn.agent) conn.agent = await this.deps.store.getAgent(agentId);
    const agent = conn.agent;
    if (!agent || agent.revoked) return void ws.close(AgentCloseCode.unauthorized, 'enrolment token has been revoked');
    const seen: AgentRecord = { ...agent, lastSeen: this.now().toISOString() };

    switch (msg.type) {
      case 'hello': {
        const updated = { ...seen, version: msg.body.version, hostname: msg.body.hostname };
        await this.deps.store.putAgent(updated);
        conn.agent = updated;
        const site = await this.deps.store.getSite(agent.siteId);
        send(ws, 'welcome', { agentId, siteId: agent.siteId, siteName: site?.name ?? '', ackedSeq: agent.lastSeq });
        this.deps.fleet.setLive(updated, { online: true });
        this.deps.fleet.agentChanged(updated);
        this.deps.log.info({ agentId, version: msg.body.version, ackedSeq: agent.lastSeq }, 'agent connected');
        return;
      }
      case 'status':
        this.deps.fleet.setLive(seen, { online: true, outboxPending: msg.body.outboxPending });
        return;
      case 'response':
        return this.settle(msg.id, msg);
      case 'cameras':
        await this.deps.fleet.cameras.applyList(agent, msg.body);
        return;
      case 'vehicles':
        for (const h of this.vehicleHandlers) h(agent, msg.body);
        return;
      case 'event': {
        const seq = msg.seq;
        if (seq === undefined) return send(ws, 'error', { reason: 'event without seq' });
        if (seq <= agent.lastSeq) return send(ws, 'ack', { seq: agent.lastSeq }); // a resend: already stored
        if (seq !== agent.lastSeq + 1) {
          send(ws, 'error', { reason: `sequence gap: expected ${agent.lastSeq + 1}, got ${seq}` });
          return send(ws, 'ack', { seq: agent.lastSeq });
        }
        await this.deps.store.appendEvent({ agentId, seq, receivedAt: this.now().toISOString(), event: msg.body });
        conn.agent = { ...agent, lastSeq: seq };
        if (msg.body.kind === 'camera.state' && !(await this.deps.fleet.cameras.applyStateEvent(agent, msg.body.data))) {
          this.deps.log.warn({ agentId, seq }, 'camera.state event with invalid data: stored, not applied');
        }
        for (const h of this.eventHandlers.get(msg.body.kind) ?? []) {
          try {
            await h(agent, msg.body);
          } catch (err) {
            this.deps.log.error({ err, agentId, seq, kind: msg.body.kind }, 'event handler failed: event stored, not applied');
          }
        }
        return send(ws, 'ack', { seq });
      }
      case 'error':
        this.deps.log.warn({ agentId, reason: msg.body.reason }, 'agent reported a protocol error');
        return;
    }
  }
}

export { MAX_MESSAGE_BYTES };
