import type { Role } from '@sargs/shared';
import type { Level } from 'level';
import type { HubStore } from '../store/hub-store';

export type ExportState = 'ready' | 'sending' | 'done' | 'failed';

/** One footage export: who asked for which range and why, what the file was, and how it went. */
export interface ExportRecord {
  id: string;
  cameraId: string;
  cameraName: string;
  agentId: string;
  siteId: string;
  username: string;
  role: Role;
  reason: string;
  /** The range asked for (ISO). */
  from: string;
  to: string;
  createdAt: string;
  /** The file, as the agent announced it: exact size, wall-clock time of its first frame, length, holes. */
  bytes: number;
  startsAt: string;
  durationS: number;
  segments: number;
  gaps: { from: string; to: string }[];
  state: ExportState;
  /** Bytes handed to the downloader so far (as last stored; the live figure is in the export's status). */
  bytesSent: number;
  /** SHA-256 of the whole file, once the agent finished sending it. */
  sha256?: string;
  error?: string;
  downloadStartedAt?: string;
  finishedAt?: string;
}

type Sub = ReturnType<Level<string, unknown>['sublevel']>;

// '!' sorts below every character of an id or ISO time, and '"' right after it.
const byCameraKey = (r: Pick<ExportRecord, 'cameraId' | 'from' | 'id'>) => `${r.cameraId}!${r.from}!${r.id}`;

/**
 * Export records in the hub's LevelDB: `video-exports` by id, and `video-exports-by-camera`
 * (camera, start of the range, id) so a camera's timeline finds its exports with one range scan.
 */
export class ExportRecords {
  private readonly byId: Sub;
  private readonly byCamera: Sub;

  constructor(private readonly db: Level<string, unknown>) {
    this.byId = db.sublevel('video-exports', { valueEncoding: 'json' }) as Sub;
    this.byCamera = db.sublevel('video-exports-by-camera', { valueEncoding: 'json' }) as Sub;
  }

  static of(store: HubStore): ExportRecords {
    return new ExportRecords(store.database);
  }

  async get(id: string): Promise<ExportRecord | undefined> {
    return (await this.byId.get(id)) as ExportRecord | undefined;
  }

  async put(r: ExportRecord): Promise<void> {
    await this.db.batch([
      { type: 'put', sublevel: this.byId as never, key: r.id, value: r },
      { type: 'put', sublevel: this.byCamera as never, key: byCameraKey(r), value: r.id },
    ] as never);
  }

  /** A camera's exports whose range overlaps [from, to), oldest first. */
  async list(cameraId: string, from: string, to: string): Promise<ExportRecord[]> {
    const ids = (await this.byCamera.values({ gte: `${cameraId}!`, lt: `${cameraId}!${to}` }).all()) as string[];
    const records = (await this.byId.getMany(ids)) as (ExportRecord | undefined)[];
    return records.filter((r): r is ExportRecord => r !== undefined && r.to > from);
  }

  /** Exports a stopped hub left half way: their download can no longer finish. */
  async failUnfinished(error: string, now: string): Promise<number> {
    let n = 0;
    for await (const r of this.byId.values() as AsyncIterable<ExportRecord>) {
      if (r.state !== 'ready' && r.state !== 'sending') continue;
      await this.put({ ...r, state: 'failed', error, finishedAt: now });
      n++;
    }
    return n;
  }
}

/**
 * The exports of one camera whose requested range overlaps [from, to) (ISO times), oldest first,
 * in every state: for the timeline, which marks what was handed out (done) and tried (failed).
 */
export function listExports(store: HubStore, cameraId: string, from: string, to: string): Promise<ExportRecord[]> {
  return ExportRecords.of(store).list(cameraId, from, to);
}
