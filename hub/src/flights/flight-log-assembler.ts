import { createHash } from 'node:crypto';
import { AgentEventData, type FlightLogChunk } from '@sargs/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { AlertLog } from '../alerts/log';
import type { AgentRecord, StoredEvent } from '../store/records';
import type { FlightStore, TlogMeta } from './flight-store';

const chunkCheck = TypeCompiler.Compile(AgentEventData['flight.log']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A hub keeps no tlog above this size: a runaway recorder must not fill the hub's disk. */
export const MAX_AGENT_TLOG_BYTES = 1024 * 1024 * 1024;
/** How far back in an agent's stored events to look for a first chunk that was never applied. */
const LOOKBACK_EVENTS = 5000;
const EVENT_PAGE = 500;

export type ChunkOutcome =
  | { kind: 'stored'; meta: TlogMeta }
  | { kind: 'duplicate' }
  | { kind: 'refused'; reason: string }
  | { kind: 'rejected'; meta: TlogMeta; reason: string }
  | { kind: 'filed'; meta: TlogMeta };

export interface AssemblerDeps {
  flights: FlightStore;
  /** The agents' stored outbox events (HubStore), where chunks a crash kept from being applied still are. */
  events: { listEvents(agentId: string, afterSeq: number, limit: number): Promise<StoredEvent[]> };
  /** Reads the complete, verified tlog, files its flights and returns the meta as filed. */
  file: (meta: TlogMeta) => Promise<TlogMeta>;
  /** Told when a log is refused for good (bad checksum, missing chunk): raise it where people look. */
  rejected: (meta: TlogMeta, reason: string) => Promise<void>;
  log: AlertLog & { debug?: (obj: object, msg: string) => void };
  now?: () => Date;
  maxBytes?: number;
}

/**
 * Puts finished flights' tlogs back together from the agents' `flight.log` outbox events.
 * The outbox delivers each chunk once and in order, yet the hub checks anyway: a chunk it
 * already holds is ignored, a chunk that does not follow on (index or byte offset) is
 * never stored, and the final chunk's size and SHA-256 are checked against the stored
 * bytes before a single flight is filed. A chunk whose event was stored but not applied
 * (the hub stopped in between) is found again in the stored events, so a restart loses
 * nothing. All work runs one step at a time.
 */
export class FlightLogAssembler {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: AssemblerDeps) {}

  private now(): string { return (this.deps.now?.() ?? new Date()).toISOString(); }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Finishes what a stopped hub left half done: chunks stored as events but not applied, complete logs not yet filed. */
  start(): Promise<void> {
    return this.serial(async () => {
      for (const meta of await this.deps.flights.listTlogs()) {
        if (meta.source !== 'agent' || !meta.agentId || (meta.state !== 'receiving' && meta.state !== 'complete')) continue;
        try {
          const m = meta.state === 'receiving' ? await this.catchUp(meta.agentId, meta) : meta;
          if (m.state === 'complete') await this.finish(m);
        } catch (err) {
          this.deps.log.error({ err, tlogId: meta.id }, 'resuming a flight log failed');
        }
      }
    });
  }

  /** Waits for every chunk handed in so far. */
  async idle(): Promise<void> { await this.serial(async () => undefined); }

  /** Handler for outbox events `flight.log`. */
  handle(agent: AgentRecord, data: unknown): Promise<ChunkOutcome> {
    return this.serial(() => this.handleNow(agent, data));
  }

  private async handleNow(agent: AgentRecord, data: unknown): Promise<ChunkOutcome> {
    if (!chunkCheck.Check(data)) return this.refuse(agent, undefined, 'flight.log event with invalid data');
    const c: FlightLogChunk = data;
    let meta = await this.deps.flights.getTlog(c.flightId);
    if (meta && meta.agentId !== agent.id) return this.refuse(agent, c, `flight log ${c.flightId} belongs to another agent`);
    if (meta?.state === 'rejected' && c.index === 0) {
      // The agent starts this log over: the partial or corrupt copy goes.
      await this.deps.flights.deleteChunks(c.flightId);
      meta = undefined;
    }
    if (meta && meta.state !== 'receiving') return this.duplicate(c);
    meta ??= this.fresh(agent, c);

    if (c.index > meta.chunks) {
      // A chunk is missing: it may be stored as an event that a stopped hub never applied.
      meta = await this.catchUp(agent.id, meta);
      if (meta.state === 'complete') return this.finish(meta);
      if (meta.state === 'rejected') return { kind: 'rejected', meta, reason: meta.error ?? 'rejected' };
    }
    if (c.index < meta.chunks) return this.duplicate(c);
    if (c.index > meta.chunks) return this.reject(meta, `chunk ${meta.chunks} never arrived (got chunk ${c.index})`);
    const applied = await this.apply(meta, c, agent.lastSeq);
    if (applied.kind !== 'stored') return applied;
    return applied.meta.state === 'complete' ? this.finish(applied.meta) : applied;
  }

  private fresh(agent: AgentRecord, c: FlightLogChunk): TlogMeta {
    return {
      id: c.flightId, source: 'agent', agentId: agent.id, siteId: agent.siteId, vehicleKey: c.vehicleKey, systemId: c.systemId,
      state: 'receiving', chunks: 0, bytes: 0, afterSeq: Math.max(0, agent.lastSeq - LOOKBACK_EVENTS), sha256: null, claimedBytes: null,
      startedAt: c.startedAt, endedAt: null, receivedAt: this.now(), completedAt: null, uploadedBy: null, flightIds: [], error: null, warnings: [],
    };
  }

  /** Stores the chunk that comes next (index already checked); a final chunk marks the log complete. */
  private async apply(meta: TlogMeta, c: FlightLogChunk, afterSeq: number): Promise<ChunkOutcome> {
    if (c.offset !== meta.bytes) return this.reject(meta, `chunk ${c.index} starts at byte ${c.offset}, expected ${meta.bytes}`);
    if (c.dataBase64.length % 4 !== 0 || !BASE64.test(c.dataBase64)) return this.reject(meta, `chunk ${c.index} is not valid base64`);
    const bytes = Buffer.from(c.dataBase64, 'base64');
    const max = this.deps.maxBytes ?? MAX_AGENT_TLOG_BYTES;
    if (meta.bytes + bytes.length > max) return this.reject(meta, `the log is larger than the hub accepts (${max} bytes)`);
    if (c.final && (c.totalBytes === undefined || c.sha256 === undefined)) return this.reject(meta, 'the final chunk carries no size or SHA-256');
    const next: TlogMeta = {
      ...meta, chunks: meta.chunks + 1, bytes: meta.bytes + bytes.length, afterSeq: Math.max(meta.afterSeq, afterSeq),
      ...(c.final ? { state: 'complete' as const, sha256: c.sha256!, endedAt: c.endedAt ?? null, claimedBytes: c.totalBytes } : {}),
    };
    await this.deps.flights.appendChunk(next, c.index, bytes);
    return { kind: 'stored', meta: next };
  }

  /** Applies, in sequence order, every stored chunk of this log that follows on from what is held. */
  private async catchUp(agentId: string, start: TlogMeta): Promise<TlogMeta> {
    let meta = start;
    let after = meta.afterSeq;
    for (let page = 0; page < 1000 && meta.state === 'receiving'; page++) {
      const events = await this.deps.events.listEvents(agentId, after, EVENT_PAGE);
      for (const ev of events) {
        after = ev.seq;
        const d = ev.event.data;
        if (ev.event.kind !== 'flight.log' || !chunkCheck.Check(d) || d.flightId !== meta.id || d.index !== meta.chunks) continue;
        const r = await this.apply(meta, d, ev.seq);
        if (r.kind !== 'stored') return (r as { meta?: TlogMeta }).meta ?? meta;
        meta = r.meta;
        this.deps.log.info({ tlogId: meta.id, index: d.index, seq: ev.seq }, 'flight log chunk recovered from stored events');
        if (meta.state !== 'receiving') break;
      }
      if (events.length < EVENT_PAGE) break;
    }
    return meta;
  }

  /** Checks the stored bytes against the final chunk's size and SHA-256, then files the flights. */
  private async finish(meta: TlogMeta): Promise<ChunkOutcome> {
    const claimed = meta.claimedBytes;
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const part of this.deps.flights.streamTlog(meta.id)) { hash.update(part); bytes += part.length; }
    const sha = hash.digest('hex');
    if (bytes !== claimed || bytes !== meta.bytes) return this.reject(meta, `size mismatch: the agent sent ${claimed} bytes by its count, the hub holds ${bytes}`);
    if (sha !== meta.sha256) return this.reject(meta, `SHA-256 mismatch: the agent says ${meta.sha256}, the bytes held hash to ${sha}`);
    try {
      const filed = await this.deps.file({ ...meta, completedAt: this.now() });
      this.deps.log.info({ tlogId: meta.id, bytes, flights: filed.flightIds.length }, 'flight log filed');
      return { kind: 'filed', meta: filed };
    } catch (err) {
      this.deps.log.error({ err, tlogId: meta.id }, 'filing a flight log failed');
      return this.reject(meta, `the log could not be read: ${(err as Error).message}`);
    }
  }

  private async reject(meta: TlogMeta, reason: string): Promise<ChunkOutcome> {
    const done: TlogMeta = { ...meta, state: 'rejected', error: reason, completedAt: this.now() };
    await this.deps.flights.putTlog(done);
    this.deps.log.error({ tlogId: meta.id, agentId: meta.agentId, reason }, 'flight log rejected');
    await this.deps.rejected(done, reason);
    return { kind: 'rejected', meta: done, reason };
  }

  private refuse(agent: AgentRecord, c: FlightLogChunk | undefined, reason: string): ChunkOutcome {
    this.deps.log.warn({ agentId: agent.id, flightId: c?.flightId, index: c?.index }, `flight log chunk refused: ${reason}`);
    return { kind: 'refused', reason };
  }

  private duplicate(c: FlightLogChunk): ChunkOutcome {
    this.deps.log.debug?.({ flightId: c.flightId, index: c.index }, 'flight log chunk already held');
    return { kind: 'duplicate' };
  }
}
