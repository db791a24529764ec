import type { FlightView } from '@sargs/shared';
import type { FlightSummary, TrackPoint } from '@sargs/shared/mavlink/flights';
import type { Level } from 'level';

type Sub<V> = ReturnType<Level<string, unknown>['sublevel']> & { get(key: string): Promise<V | undefined> };

/** Where a tlog stands: arriving, all bytes here (being checked and filed), filed in the logbook, or refused. */
export type TlogState = 'receiving' | 'complete' | 'filed' | 'rejected';

/** One tlog as the hub received it (from an agent's outbox or a pilot's upload). */
export interface TlogMeta {
  /** The agent's flightId for agent logs, a random UUID for uploads. */
  id: string;
  source: 'agent' | 'upload';
  agentId: string | null;
  siteId: string | null;
  vehicleKey: string | null;
  systemId: number | null;
  state: TlogState;
  /** Chunks and bytes stored so far; the next chunk must carry index `chunks` and offset `bytes`. */
  chunks: number;
  bytes: number;
  /**
   * A lower bound on the outbox sequence number of the next chunk: where to look in the
   * agent's stored events for chunks whose handling a hub crash cut short.
   */
  afterSeq: number;
  /** SHA-256 (hex) of the whole tlog: as the agent claims it until filed, then as verified. */
  sha256: string | null;
  /** The whole tlog's size as the agent's final chunk claims it. */
  claimedBytes: number | null;
  startedAt: string | null;
  endedAt: string | null;
  receivedAt: string;
  completedAt: string | null;
  uploadedBy: string | null;
  flightIds: string[];
  /** Why the log was rejected. */
  error: string | null;
  /** What reading it noticed (damage skipped, sessions joined), for the pilot. */
  warnings: string[];
}

/** A flight in the logbook plus what only the hub needs to know about it. */
export interface FlightRecord {
  view: FlightView;
  tlogId: string;
  vehicleKey: string | null;
  /** Which flight of its tlog this is (0-based), so filing the same tlog twice gives the same ids. */
  index: number;
  /** What the logbook shows beyond FlightView: takeoff and landing, and how the flight began and ended. */
  detail: Pick<FlightSummary, 'takeoff' | 'landing' | 'startedBy' | 'endedBy'>;
  /** Doubts about this flight (log cut while armed, GPS jumps left out). */
  warnings: string[];
  filedAt: string;
  editedAt: string | null;
  editedBy: string | null;
}

/** Chunk keys sort numerically within a tlog: `<tlogId>!000042`. */
const chunkKey = (tlogId: string, index: number) => `${tlogId}!${String(index).padStart(6, '0')}`;
const chunkRange = (tlogId: string) => ({ gte: `${tlogId}!`, lt: `${tlogId}!~` });

/**
 * The logbook's state in the hub's LevelDB. Sublevels: `tlogs` (TlogMeta by id),
 * `tlog-chunks` (the original bytes in chunks, binary, `<tlogId>!<index>`), `tlog-sha`
 * (SHA-256 → tlogId, to spot a file uploaded twice), `flights` (FlightRecord by id) and
 * `flight-tracks` (each flight's track points by flight id, kept apart so listing the
 * logbook never reads tracks). A chunk and the state that counts it are written in one
 * batch, so a hub that stops at any moment resumes exactly where it was.
 */
export class FlightStore {
  private readonly tlogs: Sub<TlogMeta>;
  private readonly chunks: Sub<Buffer>;
  private readonly bySha: Sub<string>;
  private readonly flights: Sub<FlightRecord>;
  private readonly tracks: Sub<TrackPoint[]>;

  constructor(private readonly db: Level<string, unknown>) {
    const sub = <V>(name: string, valueEncoding: 'json' | 'buffer' = 'json') =>
      db.sublevel<string, V>(name, { valueEncoding }) as unknown as Sub<V>;
    this.tlogs = sub('tlogs');
    this.chunks = sub('tlog-chunks', 'buffer');
    this.bySha = sub('tlog-sha');
    this.flights = sub('flights');
    this.tracks = sub('flight-tracks');
  }

  getTlog(id: string) { return this.tlogs.get(id) as Promise<TlogMeta | undefined>; }
  putTlog(meta: TlogMeta) { return this.tlogs.put(meta.id, meta); }
  async listTlogs(state?: TlogState): Promise<TlogMeta[]> {
    const all = (await this.tlogs.values().all()) as TlogMeta[];
    return state ? all.filter((t) => t.state === state) : all;
  }
  tlogBySha(sha256: string) { return this.bySha.get(sha256) as Promise<string | undefined>; }

  /** Stores one chunk and the tlog's new state atomically. */
  async appendChunk(meta: TlogMeta, index: number, data: Buffer): Promise<void> {
    await this.db.batch([
      { type: 'put', sublevel: this.chunks as never, key: chunkKey(meta.id, index), value: data },
      { type: 'put', sublevel: this.tlogs as never, key: meta.id, value: meta },
    ] as never);
  }

  /** Writes a whole tlog's chunks (an upload); its meta is written when it is filed. */
  async putChunks(tlogId: string, parts: Buffer[]): Promise<void> {
    // A few chunks per batch: one 64 MB batch would sit in memory twice over.
    for (let i = 0; i < parts.length; i += 8) {
      await this.chunks.batch(parts.slice(i, i + 8).map((value, j) => ({ type: 'put' as const, key: chunkKey(tlogId, i + j), value })));
    }
  }

  /** Drops a tlog's bytes (a log restarted from its first chunk). */
  async deleteChunks(tlogId: string): Promise<void> {
    await this.chunks.clear(chunkRange(tlogId));
  }

  /** The tlog's bytes in order, chunk by chunk, without holding the whole file. */
  async *streamTlog(tlogId: string): AsyncGenerator<Buffer> {
    for await (const v of this.chunks.values(chunkRange(tlogId)) as AsyncIterable<Buffer>) yield v;
  }

  async readTlog(tlogId: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const p of this.streamTlog(tlogId)) parts.push(p);
    return Buffer.concat(parts);
  }

  /** Files a tlog's flights with their tracks and marks the tlog filed, in one batch. */
  async fileFlights(meta: TlogMeta, flights: { record: FlightRecord; track: TrackPoint[] }[]): Promise<void> {
    const ops: unknown[] = [{ type: 'put', sublevel: this.tlogs, key: meta.id, value: meta }];
    if (meta.sha256) ops.push({ type: 'put', sublevel: this.bySha, key: meta.sha256, value: meta.id });
    for (const f of flights) {
      ops.push({ type: 'put', sublevel: this.flights, key: f.record.view.id, value: f.record });
      ops.push({ type: 'put', sublevel: this.tracks, key: f.record.view.id, value: f.track });
    }
    await this.db.batch(ops as never);
  }

  getFlight(id: string) { return this.flights.get(id) as Promise<FlightRecord | undefined>; }
  putFlight(rec: FlightRecord) { return this.flights.put(rec.view.id, rec); }
  async listFlights(): Promise<FlightRecord[]> { return (await this.flights.values().all()) as FlightRecord[]; }
  getTrack(flightId: string) { return this.tracks.get(flightId) as Promise<TrackPoint[] | undefined>; }
}
