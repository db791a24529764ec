import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { AgentEvent } from '@sargs/shared';
import { FLIGHT_LOG_CHUNK_BYTES, type FlightLogChunk } from '@sargs/shared/protocol/drones';
import type { Level } from 'level';
import type { Logger } from 'pino';
import type { Clock } from '../cameras/types';
import type { OutboxAlsoPut } from '../hub-link/outbox';
import { ComponentLoop } from '../util/waker';
import type { ClosedFlight, FlightSink } from './tlog-recorder';

/** What the sender needs of the agent's Outbox. */
export interface FlightLogOutbox {
  enqueue(event: AgentEvent, also?: readonly OutboxAlsoPut[]): Promise<number>;
  readonly ackedSeq: number;
  readonly highestSeq: number;
}

export interface FlightLogSenderDeps {
  db: Level<string, unknown>;
  outbox: FlightLogOutbox;
  clock: Clock;
  log: Logger;
  settings?: { retryMs?: number; chunkBytes?: number };
}

/** One flight's progress, a small LevelDB value keyed by flight id. */
export interface FlightLogProgress extends ClosedFlight {
  totalBytes?: number;
  sha256?: string;
  chunks?: number;
  /** Chunks already in the outbox: written in the same batch as each chunk, so never one twice. */
  enqueued: number;
  /** Outbox sequence of the final chunk; once the hub has acknowledged it the file may be rotated. */
  finalSeq?: number;
  /** The file was gone before it could be sent (logged); nothing more to do. */
  missing?: boolean;
}

type Sub = ReturnType<Level<string, unknown>['sublevel']>;

/**
 * Sends each finished flight's tlog to the hub through the outbox as `flight.log` chunks,
 * the last one carrying the file's size and SHA-256. Progress is kept per flight and
 * committed with each chunk, so a sender killed mid-flight resumes at the next chunk after a
 * restart. A flight finished while the hub is away is queued at once and waits in the outbox.
 */
export class FlightLogSender implements FlightSink {
  private readonly loop = new ComponentLoop((signal) => this.run(signal));
  private readonly chunkBytes: number;

  private constructor(private readonly deps: FlightLogSenderDeps, private readonly store: Sub, private readonly flights: Map<string, FlightLogProgress>) {
    this.chunkBytes = deps.settings?.chunkBytes ?? FLIGHT_LOG_CHUNK_BYTES;
  }

  static async open(deps: FlightLogSenderDeps): Promise<FlightLogSender> {
    const store = deps.db.sublevel('flight-logs', { valueEncoding: 'json' }) as Sub;
    const flights = new Map<string, FlightLogProgress>();
    for (const p of (await store.values().all()) as FlightLogProgress[]) {
      // Killed between queuing the final chunk and noting its sequence: everything queued so far bounds it.
      if (p.chunks !== undefined && p.enqueued === p.chunks && p.finalSeq === undefined) p.finalSeq = deps.outbox.highestSeq;
      flights.set(p.flightId, p);
    }
    return new FlightLogSender(deps, store, flights);
  }

  start(): void {
    if (this.loop.running) return;
    this.loop.start();
  }

  /** Resolves once the loop has ended; a chunk being queued is finished first. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  progress(flightId: string): FlightLogProgress | undefined {
    return this.flights.get(flightId);
  }

  /** A flight file is finished: remember it (once; a flight already known is ignored) and send it. */
  async closed(flight: ClosedFlight): Promise<void> {
    if (this.flights.has(flight.flightId)) return;
    const p: FlightLogProgress = { ...flight, enqueued: 0 };
    await this.store.put(p.flightId, p);
    this.flights.set(p.flightId, p);
    this.deps.log.info({ flightId: p.flightId, vehicle: p.vehicleKey, path: p.path }, 'flight log queued for the hub');
    this.loop.wake();
  }

  isPending(flightId: string): boolean {
    const p = this.flights.get(flightId);
    if (!p) return true; // not handed over yet: keep it
    if (p.missing) return false;
    if (p.chunks === undefined || p.enqueued < p.chunks || p.finalSeq === undefined) return true;
    return p.finalSeq > this.deps.outbox.ackedSeq;
  }

  /** One step: queues every chunk not yet queued, oldest flight first. */
  async sendPending(signal: AbortSignal = new AbortController().signal): Promise<void> {
    const todo = [...this.flights.values()]
      .filter((p) => !p.missing && (p.chunks === undefined || p.enqueued < p.chunks))
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (const p of todo) {
      if (signal.aborted) return;
      await this.send(p, signal);
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.sendPending(signal);
      } catch (err) {
        this.deps.log.error({ err }, 'could not queue flight logs; retrying');
      }
      await this.loop.sleep(this.deps.settings?.retryMs ?? 30_000, signal);
    }
  }

  private async send(start: FlightLogProgress, signal: AbortSignal): Promise<void> {
    let p = start;
    try {
      if (p.chunks === undefined) {
        const { bytes, sha256 } = await hashFile(p.path);
        p = { ...p, totalBytes: bytes, sha256, chunks: Math.max(1, Math.ceil(bytes / this.chunkBytes)) };
        await this.save(p);
      }
      const fh = await open(p.path, 'r');
      try {
        for (let index = p.enqueued; index < p.chunks! && !signal.aborted; index++) {
          const offset = index * this.chunkBytes;
          const data = Buffer.alloc(Math.min(this.chunkBytes, p.totalBytes! - offset));
          for (let got = 0; got < data.length;) {
            const { bytesRead } = await fh.read(data, got, data.length - got, offset + got);
            if (bytesRead === 0) throw new Error(`${p.path} is shorter than when it was hashed`);
            got += bytesRead;
          }
          const final = index === p.chunks! - 1;
          const chunk: FlightLogChunk = {
            flightId: p.flightId, vehicleKey: p.vehicleKey, systemId: p.systemId, index, offset,
            dataBase64: data.toString('base64'), final, startedAt: p.startedAt,
            ...(p.endedAt ? { endedAt: p.endedAt } : {}),
            ...(final ? { totalBytes: p.totalBytes!, sha256: p.sha256! } : {}),
          };
          const next: FlightLogProgress = { ...p, enqueued: index + 1 };
          const at = new Date(this.deps.clock.now()).toISOString();
          const seq = await this.deps.outbox.enqueue({ kind: 'flight.log', at, data: chunk }, [{ sublevel: this.store, key: p.flightId, value: next }]);
          p = final ? { ...next, finalSeq: seq } : next;
          this.flights.set(p.flightId, p);
          if (final) {
            await this.save(p);
            this.deps.log.info({ flightId: p.flightId, bytes: p.totalBytes, chunks: p.chunks }, 'flight log fully queued for the hub');
          }
        }
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.deps.log.error({ flightId: p.flightId, path: p.path }, 'flight log file is gone; it cannot be sent');
      await this.save({ ...p, missing: true });
    }
  }

  private async save(p: FlightLogProgress): Promise<void> {
    await this.store.put(p.flightId, p);
    this.flights.set(p.flightId, p);
  }
}

async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}
