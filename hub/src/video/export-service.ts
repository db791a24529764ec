import { randomBytes } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import type { ExportHead, MediaErrorCode, Role } from '@sargs/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log';
import type { CameraRegistry } from '../cameras/camera-registry';
import { MediaCallError, type MediaCall, type MediaGateway } from './media-gateway';
import { ExportRecords, type ExportRecord, type ExportState } from './export-records';

export const MAX_EXPORT_HOURS = 24;
/** An export nobody starts downloading within this time is dropped (the agent stops waiting). */
export const READY_TTL_MS = 5 * 60_000;
/** How long the agent may take to plan an export (read the index and the files' layout). */
const HEAD_TIMEOUT_MS = 60_000;
/** Exports one user may have waiting or downloading at once. */
const MAX_OPEN_PER_USER = 3;

/** A refusal with the HTTP status and the sentence for the user. */
export class ExportRefused extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

const STATUS: Record<MediaErrorCode | 'unreachable' | 'protocol', number> = {
  'bad-args': 400, 'too-long': 400, 'no-footage': 404, 'not-found': 404, unsupported: 422,
  'camera-offline': 503, busy: 503, unreachable: 503, failed: 502, protocol: 502, 'unknown-op': 501,
};

function refusal(err: unknown): ExportRefused {
  if (!(err instanceof MediaCallError)) throw err;
  if (err.code === 'unreachable') return new ExportRefused(503, 'The site\'s agent is not connected to the hub, so its footage cannot be exported now.');
  if (err.code === 'unknown-op') return new ExportRefused(501, 'This site\'s agent is too old to export footage: update it.');
  return new ExportRefused(STATUS[err.code], err.message);
}

/** "2026-03-01 10:00:13 UTC", as the agent writes times in its sentences. */
export function sentenceTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

export interface ExportStatus {
  id: string;
  cameraId: string;
  state: ExportState;
  bytes: number;
  bytesSent: number;
  startsAt: string;
  durationS: number;
  sha256?: string;
  error?: string;
}

interface Open {
  record: ExportRecord;
  call: MediaCall<'export'>;
  expiry: NodeJS.Timeout | undefined;
}

/**
 * Footage exports through the media link. `create` asks the site's agent for the file's head
 * (exact size, start, gaps) and keeps the call open, paused by credit, until the same user
 * downloads it; `download` streams the call's body to the HTTP reply with backpressure all
 * the way to the agent's disk. Each export is a stored record (export-records.ts); the audit
 * log gets `footage.export.start` as the first byte leaves, then `footage.export` with the
 * SHA-256 the agent computed over exactly those bytes (or `footage.export.failed`). The
 * reply's last bytes are held back until the hash is stored, so a finished download always
 * finds its hash recorded.
 */
export class ExportService {
  private readonly open = new Map<string, Open>();
  private readonly records: ExportRecords;

  constructor(private readonly deps: {
    records: ExportRecords; cameras: Pick<CameraRegistry, 'find'>; media: Pick<MediaGateway, 'open'>; audit: AuditLog; log: FastifyBaseLogger;
    now?: () => number;
  }) {
    this.records = deps.records;
  }

  private now(): string { return new Date(this.deps.now?.() ?? Date.now()).toISOString(); }

  async create(user: { username: string; role: Role }, p: { cameraId: string; from: string; to: string; reason: string }): Promise<ExportRecord> {
    const fromMs = Date.parse(p.from);
    const toMs = Date.parse(p.to);
    if (!(toMs > fromMs)) throw new ExportRefused(400, 'The export range must end after it starts.');
    if (toMs - fromMs > MAX_EXPORT_HOURS * 3_600_000) {
      throw new ExportRefused(400, `Exports are limited to ${MAX_EXPORT_HOURS} hours; this range is ${((toMs - fromMs) / 3_600_000).toFixed(1)} hours. Export it in parts.`);
    }
    const cam = await this.deps.cameras.find(p.cameraId);
    if (!cam) throw new ExportRefused(404, `There is no camera "${p.cameraId}".`);
    const mine = [...this.open.values()].filter((o) => o.record.username === user.username).length;
    if (mine >= MAX_OPEN_PER_USER) throw new ExportRefused(429, `You have ${mine} exports waiting or downloading; let one finish first.`);

    const from = new Date(fromMs).toISOString();
    const to = new Date(toMs).toISOString();
    const call = this.deps.media.open(cam.agentId, 'export', { cameraId: p.cameraId, from, to });
    let head: ExportHead;
    const timer = setTimeout(() => call.cancel(), HEAD_TIMEOUT_MS);
    try {
      head = await call.head;
    } catch (err) {
      call.cancel();
      if (err instanceof MediaCallError && err.message === 'cancelled') throw new ExportRefused(504, 'The site\'s agent did not prepare the export within a minute.');
      // The agent may not know the camera any more (footage outlives a removed camera); the hub names it.
      if (err instanceof MediaCallError && err.code === 'no-footage') {
        throw new ExportRefused(404, `No footage was recorded by ${cam.info.name} between ${sentenceTime(fromMs)} and ${sentenceTime(toMs)}.`);
      }
      throw refusal(err);
    } finally {
      clearTimeout(timer);
    }
    const record: ExportRecord = {
      id: randomBytes(16).toString('hex'), cameraId: p.cameraId, cameraName: cam.info.name, agentId: cam.agentId, siteId: cam.siteId,
      username: user.username, role: user.role, reason: p.reason, from, to, createdAt: this.now(),
      bytes: head.bytes, startsAt: head.startsAt, durationS: head.durationS, segments: head.segments, gaps: head.gaps,
      state: 'ready', bytesSent: 0,
    };
    const o: Open = { record, call, expiry: undefined };
    this.open.set(record.id, o);
    o.expiry = setTimeout(() => { void this.fail(o, `not downloaded within ${READY_TTL_MS / 60_000} minutes`); }, READY_TTL_MS);
    o.expiry.unref();
    // The agent may go away before anyone downloads.
    call.end.catch((err: unknown) => { if (o.record.state === 'ready') void this.fail(o, err instanceof Error ? err.message : String(err)); });
    await this.records.put(record);
    this.deps.log.info({ exportId: record.id, by: user.username, cameraId: p.cameraId, from, to, bytes: head.bytes }, 'export ready');
    return record;
  }

  /** The live status of an export (from memory while it runs, else as stored). */
  async status(id: string): Promise<{ record: ExportRecord; status: ExportStatus } | undefined> {
    const o = this.open.get(id);
    const r = o?.record ?? (await this.records.get(id));
    if (!r) return undefined;
    return {
      record: r,
      status: {
        id: r.id, cameraId: r.cameraId, state: r.state, bytes: r.bytes, bytesSent: r.bytesSent, startsAt: r.startsAt, durationS: r.durationS,
        ...(r.sha256 ? { sha256: r.sha256 } : {}), ...(r.error ? { error: r.error } : {}),
      },
    };
  }

  /**
   * Starts sending a ready export: the stream to hand to the HTTP reply. Its end waits for the
   * hash to be stored and audited; an error or an early close of the reply fails the export.
   */
  async download(id: string, username: string): Promise<{ record: ExportRecord; body: Readable }> {
    const o = this.open.get(id);
    const stored = o?.record ?? (await this.records.get(id));
    if (!stored) throw new ExportRefused(404, 'There is no such export.');
    if (stored.username !== username) throw new ExportRefused(403, 'This export was prepared for another user.');
    if (!o || stored.state !== 'ready') {
      throw new ExportRefused(409, stored.state === 'failed'
        ? `This export failed (${stored.error ?? 'no reason given'}); start a new one.`
        : 'This export has already been downloaded; start a new export to download it again.');
    }
    clearTimeout(o.expiry);
    const r = o.record;
    r.state = 'sending';
    r.downloadStartedAt = this.now();
    await this.records.put(r);
    // Before the first byte leaves: an interrupted download is accounted for too.
    await this.deps.audit.append({
      actor: r.username, action: 'footage.export.start', target: r.cameraId, reason: r.reason,
      details: { exportId: r.id, from: r.from, to: r.to, startsAt: r.startsAt, bytes: r.bytes },
    });
    // Each chunk goes on when the next arrives; the last one only after the hash is stored and
    // audited, so a downloader can never hold the whole file before its hash is on record.
    let held: Buffer | undefined;
    let received = 0;
    const counter = new Transform({
      // Chunks are the media link's frames (up to 256 KB); this only counts them.
      highWaterMark: 1024 * 1024,
      transform: (chunk: Buffer, _enc, done) => {
        received += chunk.length;
        const out = held;
        held = chunk;
        if (out) r.bytesSent += out.length;
        done(null, out);
      },
      flush: (done) => {
        this.finish(o, received).then(() => done(null, held), (err: Error) => done(err));
      },
    });
    pipeline(o.call.body, counter, (err) => {
      if (err && r.state === 'sending') void this.fail(o, r.bytesSent < r.bytes ? `the download stopped after ${r.bytesSent} of ${r.bytes} bytes` : err.message);
    });
    return { record: r, body: counter };
  }

  private async finish(o: Open, received: number): Promise<void> {
    const r = o.record;
    const end = await o.call.end;
    if (received !== r.bytes) throw new Error(`the agent sent ${received} bytes instead of the ${r.bytes} it announced`);
    r.bytesSent = r.bytes;
    r.sha256 = end.sha256;
    r.state = 'done';
    r.finishedAt = this.now();
    this.open.delete(r.id);
    await this.records.put(r);
    await this.deps.audit.append({
      actor: r.username, action: 'footage.export', target: r.cameraId, reason: r.reason,
      details: { exportId: r.id, from: r.from, to: r.to, startsAt: r.startsAt, durationS: r.durationS, bytes: r.bytes, sha256: r.sha256 },
    });
    this.deps.log.info({ exportId: r.id, by: r.username, cameraId: r.cameraId, bytes: r.bytes, sha256: r.sha256 }, 'footage exported');
  }

  private async fail(o: Open, error: string): Promise<void> {
    const r = o.record;
    if (r.state === 'done' || r.state === 'failed') return;
    const wasSending = r.state === 'sending';
    clearTimeout(o.expiry);
    this.open.delete(r.id);
    o.call.cancel();
    r.state = 'failed';
    r.error = error;
    r.finishedAt = this.now();
    try {
      await this.records.put(r);
      if (wasSending) {
        await this.deps.audit.append({
          actor: r.username, action: 'footage.export.failed', target: r.cameraId, reason: r.reason,
          details: { exportId: r.id, from: r.from, to: r.to, bytes: r.bytes, bytesSent: r.bytesSent, error },
        });
      }
    } catch (err) {
      this.deps.log.error({ err, exportId: r.id }, 'recording a failed export failed');
    }
    this.deps.log.warn({ exportId: r.id, by: r.username, cameraId: r.cameraId, error }, 'export failed');
  }

  /** Stops every open export (the hub is stopping). */
  async stop(): Promise<void> {
    await Promise.all([...this.open.values()].map((o) => this.fail(o, 'the hub stopped')));
  }
}
