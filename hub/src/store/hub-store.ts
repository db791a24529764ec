import { Level } from 'level';
import type { CameraHealth } from '@sargs/shared';
import type { AgentRecord, HubCameraRecord, SiteRetention, SessionRecord, SiteRecord, StoredEvent, UserRecord } from './records';

type Sub<V> = ReturnType<Level<string, unknown>['sublevel']> & { get(key: string): Promise<V | undefined> };

/** Sequence numbers are zero-padded so LevelDB's byte order is numeric order. */
const seqKey = (agentId: string, seq: number) => `${agentId}!${String(seq).padStart(12, '0')}`;

/**
 * The hub's state in one LevelDB, one sublevel per collection. Everything else talks to
 * this class, so a larger deployment can swap it for a PostgreSQL-backed one.
 */
export class HubStore {
  private constructor(
    private readonly db: Level<string, unknown>,
    private readonly users: Sub<UserRecord>,
    private readonly sessions: Sub<SessionRecord>,
    private readonly sites: Sub<SiteRecord>,
    private readonly agents: Sub<AgentRecord>,
    private readonly events: Sub<StoredEvent>,
    private readonly cameras: Sub<HubCameraRecord>,
    private readonly history: Sub<CameraHealth>,
  ) {
    this.watermarks = db.sublevel('watermarks', { valueEncoding: 'json' }) as typeof this.watermarks;
    this.retention = db.sublevel('retention', { valueEncoding: 'json' }) as typeof this.retention;
  }

  static async open(dir: string): Promise<HubStore> {
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    await db.open();
    const sub = <V>(name: string) => db.sublevel<string, V>(name, { valueEncoding: 'json' }) as unknown as Sub<V>;
    return new HubStore(db, sub('users'), sub('sessions'), sub('sites'), sub('agents'), sub('events'), sub('cameras'), sub('camera-history'));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** The underlying LevelDB, for components that keep their own sublevels (alerts, audit). */
  get database(): Level<string, unknown> {
    return this.db;
  }

  getUser(username: string) { return this.users.get(username) as Promise<UserRecord | undefined>; }
  putUser(u: UserRecord) { return this.users.put(u.username, u); }
  deleteUser(username: string) { return this.users.del(username); }
  async listUsers(): Promise<UserRecord[]> { return (await this.users.values().all()) as UserRecord[]; }

  getSession(tokenHash: string) { return this.sessions.get(tokenHash) as Promise<SessionRecord | undefined>; }
  putSession(tokenHash: string, s: SessionRecord) { return this.sessions.put(tokenHash, s); }
  deleteSession(tokenHash: string) { return this.sessions.del(tokenHash); }
  async deleteSessionsOf(username: string): Promise<string[]> {
    const gone: string[] = [];
    for await (const [k, v] of this.sessions.iterator() as AsyncIterable<[string, SessionRecord]>) {
      if (v.username === username) { gone.push(k); await this.sessions.del(k); }
    }
    return gone;
  }

  getSite(id: string) { return this.sites.get(id) as Promise<SiteRecord | undefined>; }
  putSite(s: SiteRecord) { return this.sites.put(s.id, s); }
  async listSites(): Promise<SiteRecord[]> { return (await this.sites.values().all()) as SiteRecord[]; }

  /**
   * The exactly-once watermark lives under its own key, written only with the event it
   * counts: an event written after an admin revoked the agent cannot put back the old record.
   */
  private readonly watermarks: Sub<number>;
  private readonly retention: Sub<SiteRetention>;

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    const a = (await this.agents.get(id)) as AgentRecord | undefined;
    return a && { ...a, lastSeq: ((await this.watermarks.get(id)) as number | undefined) ?? a.lastSeq };
  }
  putAgent(a: AgentRecord) { return this.agents.put(a.id, a); }
  async listAgents(): Promise<AgentRecord[]> {
    const marks = new Map((await this.watermarks.iterator().all()) as [string, number][]);
    return ((await this.agents.values().all()) as AgentRecord[]).map((a) => ({ ...a, lastSeq: marks.get(a.id) ?? a.lastSeq }));
  }

  /** Stores an event and advances the agent's watermark in one atomic batch. */
  async appendEvent(ev: StoredEvent): Promise<void> {
    await this.db.batch([
      { type: 'put', sublevel: this.events as never, key: seqKey(ev.agentId, ev.seq), value: ev },
      { type: 'put', sublevel: this.watermarks as never, key: ev.agentId, value: ev.seq },
    ] as never);
  }

  /** A site's retention policy as set in the hub, and whether its agent has confirmed it. */
  getRetention(siteId: string) { return this.retention.get(siteId) as Promise<SiteRetention | undefined>; }
  putRetention(siteId: string, r: SiteRetention) { return this.retention.put(siteId, r); }

  putCamera(c: HubCameraRecord) { return this.cameras.put(`${c.agentId}!${c.info.id}`, c); }
  putCameras(list: HubCameraRecord[]) {
    return this.cameras.batch(list.map((c) => ({ type: 'put' as const, key: `${c.agentId}!${c.info.id}`, value: c })));
  }
  /** A state change for the history, and the camera's new current state, in one write. */
  async recordCameraState(h: CameraHealth, current: HubCameraRecord | undefined): Promise<void> {
    await this.db.batch([
      { type: 'put', sublevel: this.history as never, key: `${h.cameraId}!${h.since}`, value: h },
      ...(current ? [{ type: 'put', sublevel: this.cameras as never, key: `${current.agentId}!${current.info.id}`, value: current }] : []),
    ] as never);
  }
  deleteCamera(agentId: string, cameraId: string) { return this.cameras.del(`${agentId}!${cameraId}`); }
  getCamera(agentId: string, cameraId: string) { return this.cameras.get(`${agentId}!${cameraId}`) as Promise<HubCameraRecord | undefined>; }
  async listCameras(): Promise<HubCameraRecord[]> { return (await this.cameras.values().all()) as HubCameraRecord[]; }

  /** State changes per camera, keyed by when they happened: a repeat of the same change overwrites itself. */
  appendCameraHistory(h: CameraHealth) { return this.history.put(`${h.cameraId}!${h.since}`, h); }
  async cameraHistory(cameraId: string, fromIso: string, limit = 5000): Promise<CameraHealth[]> {
    return (await this.history.values({ gte: `${cameraId}!${fromIso}`, lt: `${cameraId}!~`, limit }).all()) as CameraHealth[];
  }
  /** The last change before a time: what state a camera was in when a window opens. */
  async cameraStateBefore(cameraId: string, iso: string): Promise<CameraHealth | undefined> {
    const [h] = (await this.history.values({ lt: `${cameraId}!${iso}`, gte: `${cameraId}!`, reverse: true, limit: 1 }).all()) as CameraHealth[];
    return h;
  }

  async listEvents(agentId: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return (await this.events.values({ gt: seqKey(agentId, afterSeq), lt: `${agentId}!~`, limit }).all()) as StoredEvent[];
  }
}
