import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { FlightView } from '@sargs/shared';
import type { AlertLog } from '../alerts/log';
import type { TlogAnalysis } from './flight-analysis';
import type { TrackPoint } from '@sargs/shared/mavlink/flights';
import type { FlightRecord, FlightStore, TlogMeta } from './flight-store';

/** Uploads are kept in chunks of this size, like the agents' own. */
const UPLOAD_CHUNK_BYTES = 1024 * 1024;
const DAY_MS = 86_400_000;

/** Same tlog, same flight: filing a log twice (a restart mid-way) overwrites rather than duplicates. */
export const flightId = (tlogId: string, index: number) =>
  `fl_${createHash('sha256').update(`${tlogId}#${index}`).digest('hex').slice(0, 20)}`;

/** A request the logbook refuses (a bad filter, an upload it cannot file), with the HTTP status and words for the pilot. */
export class LogbookError extends Error {
  constructor(readonly status: 400 | 409 | 422, message: string, readonly flightIds: string[] = []) { super(message); }
}

export interface UploadOptions { siteId: string | null; by: string; pilot: string | null }
export interface UploadResult { tlog: TlogMeta; flights: FlightView[]; warnings: string[] }

export interface FlightFilter {
  site?: string;
  /** Case-insensitive part of the pilot's name. */
  pilot?: string;
  /** A system id (digits), or part of the vehicle type, autopilot or vehicle key. */
  vehicle?: string;
  /** ISO date or date-time; flights that end at or after it. */
  from?: string;
  /** ISO date-time, or a date meaning to the end of that day; flights that start before it. */
  to?: string;
  limit?: number;
}

/** Parses a filter bound; a bare date as an upper bound covers its whole day. */
export function filterTime(value: string | undefined, upper: boolean): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new LogbookError(400, `"${value}" is not a date or date-time`);
  return upper && /^\d{4}-\d{2}-\d{2}$/.test(value) ? ms + DAY_MS : ms;
}

/**
 * The flight logbook: files the flights found in a tlog (from an agent or uploaded by a
 * pilot), lists and filters them, and keeps the pilot's edits. The flight records are
 * held in memory (a few hundred bytes each) so filtering never scans the database;
 * tracks and tlog bytes are read only when asked for.
 */
export class Logbook extends EventEmitter<{ flight: [FlightView] }> {
  private cache: Promise<Map<string, FlightRecord>> | undefined;
  /** Filing runs one tlog at a time: two uploads of one file at once must not both pass the duplicate check. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: {
    flights: FlightStore;
    analyse: (bytes: Buffer) => TlogAnalysis;
    log: AlertLog;
    now?: () => Date;
  }) {
    super();
    this.setMaxListeners(0);
  }

  private now(): string { return (this.deps.now?.() ?? new Date()).toISOString(); }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private records(): Promise<Map<string, FlightRecord>> {
    this.cache ??= this.deps.flights.listFlights().then((all) => new Map(all.map((r) => [r.view.id, r])));
    return this.cache;
  }

  /** Files an agent's complete, verified tlog (its bytes are already in the store). */
  fileTlog(meta: TlogMeta): Promise<TlogMeta> {
    return this.serial(() => this.fileTlogNow(meta));
  }

  private async fileTlogNow(meta: TlogMeta): Promise<TlogMeta> {
    const bytes = await this.deps.flights.readTlog(meta.id);
    const analysis = this.deps.analyse(bytes);
    const filed = await this.file(meta, analysis, null);
    if (!filed.flightIds.length) this.deps.log.warn({ tlogId: meta.id, agentId: meta.agentId }, 'flight log holds no flight (never took off)');
    return filed;
  }

  /**
   * Files a tlog a pilot uploaded. Refuses (without storing anything) bytes that hold no
   * MAVLink records, a log with no flight in it, and a file already in the logbook.
   */
  upload(bytes: Buffer, opts: UploadOptions): Promise<UploadResult> {
    return this.serial(() => this.uploadNow(bytes, opts));
  }

  private async uploadNow(bytes: Buffer, opts: UploadOptions): Promise<UploadResult> {
    if (!bytes.length) throw new LogbookError(400, 'the upload is empty: send the .tlog file as the request body (application/octet-stream)');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const known = await this.deps.flights.tlogBySha(sha256);
    if (known) {
      const prior = await this.deps.flights.getTlog(known);
      throw new LogbookError(409, `this tlog is already in the logbook (${prior?.flightIds.length ?? 0} flight(s), ${prior?.source === 'agent' ? 'sent by the site agent' : 'uploaded before'})`, prior?.flightIds ?? []);
    }
    const analysis = this.deps.analyse(bytes);
    if (!analysis.flights.length && analysis.records === 0) throw new LogbookError(422, 'not a tlog: no MAVLink records found (a tlog is 8-byte timestamps each followed by one MAVLink frame)');
    if (!analysis.flights.length) {
      throw new LogbookError(422, `no flight found in this tlog (${analysis.records} MAVLink records, but the vehicle was never armed in the air)${analysis.warnings.length ? `; ${analysis.warnings.join('; ')}` : ''}`);
    }
    const id = randomUUID();
    const parts: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += UPLOAD_CHUNK_BYTES) parts.push(bytes.subarray(at, at + UPLOAD_CHUNK_BYTES));
    await this.deps.flights.putChunks(id, parts);
    const now = this.now();
    const meta: TlogMeta = {
      id, source: 'upload', agentId: null, siteId: opts.siteId, vehicleKey: null, systemId: analysis.flights[0]!.systemId,
      state: 'complete', chunks: parts.length, bytes: bytes.length, afterSeq: 0, sha256, claimedBytes: bytes.length,
      startedAt: analysis.flights[0]!.start, endedAt: analysis.flights.reduce((e, f) => (f.end > e ? f.end : e), ''),
      receivedAt: now, completedAt: now, uploadedBy: opts.by, flightIds: [], error: null, warnings: [],
    };
    const filed = await this.file(meta, analysis, opts.pilot);
    const map = await this.records();
    return { tlog: filed, flights: filed.flightIds.map((f) => map.get(f)!.view), warnings: analysis.warnings };
  }

  private async file(meta: TlogMeta, analysis: TlogAnalysis, pilot: string | null): Promise<TlogMeta> {
    const map = await this.records();
    const filedAt = this.now();
    const entries = analysis.flights.map((f, index) => {
      const id = flightId(meta.id, index);
      // Filing again (after a restart) must not lose what the pilot already wrote.
      const prior = map.get(id);
      const view: FlightView = {
        id, siteId: meta.siteId, agentId: meta.agentId, source: meta.source,
        systemId: f.systemId, vehicleType: f.vehicleType, autopilot: f.autopilot, start: f.start, end: f.end,
        durationS: f.durationS, distanceM: f.distanceM, maxHeightM: f.maxHeightM, maxGroundSpeedMps: f.maxGroundSpeedMps,
        batteryUsedPercent: f.batteryUsedPercent,
        pilot: prior?.view.pilot ?? pilot, notes: prior?.view.notes ?? '',
        tlogBytes: meta.bytes, tlogSha256: meta.sha256 ?? '',
      };
      const record: FlightRecord = {
        view, tlogId: meta.id, vehicleKey: meta.vehicleKey, index, warnings: f.warnings,
        detail: { takeoff: f.takeoff, landing: f.landing, startedBy: f.startedBy, endedBy: f.endedBy },
        filedAt: prior?.filedAt ?? filedAt, editedAt: prior?.editedAt ?? null, editedBy: prior?.editedBy ?? null,
      };
      return { record, track: f.track };
    });
    const filed: TlogMeta = { ...meta, state: 'filed', flightIds: entries.map((e) => e.record.view.id), warnings: analysis.warnings };
    await this.deps.flights.fileFlights(filed, entries);
    for (const e of entries) {
      map.set(e.record.view.id, e.record);
      this.emit('flight', e.record.view);
    }
    return filed;
  }

  /** Newest first. */
  async list(f: FlightFilter = {}): Promise<{ flights: FlightView[]; total: number }> {
    const from = filterTime(f.from, false);
    const to = filterTime(f.to, true);
    const pilot = f.pilot?.toLowerCase();
    const vehicle = f.vehicle?.toLowerCase();
    const systemId = vehicle && /^\d+$/.test(vehicle) ? Number(vehicle) : undefined;
    const hits: FlightView[] = [];
    for (const r of (await this.records()).values()) {
      const v = r.view;
      if (f.site !== undefined && v.siteId !== f.site) continue;
      if (pilot !== undefined && !(v.pilot ?? '').toLowerCase().includes(pilot)) continue;
      if (systemId !== undefined && v.systemId !== systemId) continue;
      if (vehicle !== undefined && systemId === undefined
        && ![v.vehicleType, v.autopilot, r.vehicleKey ?? ''].some((s) => s.toLowerCase().includes(vehicle))) continue;
      if (from !== undefined && Date.parse(v.end) < from) continue;
      if (to !== undefined && Date.parse(v.start) >= to) continue;
      hits.push(v);
    }
    hits.sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : a.id.localeCompare(b.id)));
    return { flights: hits.slice(0, f.limit ?? hits.length), total: hits.length };
  }

  async get(id: string): Promise<FlightRecord | undefined> {
    return (await this.records()).get(id);
  }

  async track(id: string): Promise<TrackPoint[]> {
    return (await this.deps.flights.getTrack(id)) ?? [];
  }

  tlog(record: FlightRecord): Promise<TlogMeta | undefined> {
    return this.deps.flights.getTlog(record.tlogId);
  }

  tlogBytes(tlogId: string): AsyncGenerator<Buffer> {
    return this.deps.flights.streamTlog(tlogId);
  }

  /** Sets the pilot and/or notes; returns the flight before and after, or undefined when there is none. */
  async edit(id: string, patch: { pilot?: string | null; notes?: string }, by: string): Promise<{ before: FlightView; after: FlightView } | undefined> {
    const map = await this.records();
    const cur = map.get(id);
    if (!cur) return undefined;
    const pilot = patch.pilot === undefined ? cur.view.pilot : patch.pilot?.trim() || null;
    const after: FlightView = { ...cur.view, pilot, notes: patch.notes ?? cur.view.notes };
    const next: FlightRecord = { ...cur, view: after, editedAt: this.now(), editedBy: by };
    await this.deps.flights.putFlight(next);
    map.set(id, next);
    this.emit('flight', after);
    return { before: cur.view, after };
  }
}
