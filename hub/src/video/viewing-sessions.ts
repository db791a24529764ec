import { randomBytes } from 'node:crypto';
import type { Role } from '@sargs/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log';

export type ViewingKind = 'live' | 'recorded';

export interface ViewingSession {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly kind: ViewingKind;
  readonly cameraIds: readonly string[];
  readonly reason: string | undefined;
  readonly startedAt: number;
  /** Last request that belonged to it (recorded sessions end after a while without one). */
  lastActivity: number;
  /** The footage time watched, as epoch ms: for live the wall-clock span, for recorded the span of what was fetched. */
  watchedFrom: number | undefined;
  watchedTo: number | undefined;
}

/** A recorded session with no request for this long has ended: the viewer closed the tab. */
export const RECORDED_IDLE_MS = 60_000;
const SWEEP_MS = 10_000;

/**
 * Who watched which camera, live or recorded, what time range, when and for how long, and why:
 * one audit entry when a session starts (`video.view.start`, so a crash of the hub cannot lose
 * it) and one when it ends (`video.view`, with the range watched and the duration).
 */
export class ViewingSessions {
  private readonly sessions = new Map<string, ViewingSession>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly deps: { audit: AuditLog; log: FastifyBaseLogger; now?: () => number }) {}

  private now(): number { return this.deps.now?.() ?? Date.now(); }

  start(p: { username: string; role: Role; kind: ViewingKind; cameraIds: string[]; reason?: string }): ViewingSession {
    const now = this.now();
    const s: ViewingSession = {
      id: randomBytes(16).toString('hex'), username: p.username, role: p.role, kind: p.kind, cameraIds: [...p.cameraIds],
      reason: p.reason, startedAt: now, lastActivity: now,
      watchedFrom: p.kind === 'live' ? now : undefined, watchedTo: p.kind === 'live' ? now : undefined,
    };
    this.sessions.set(s.id, s);
    void this.deps.audit.append({
      actor: s.username, action: 'video.view.start', target: s.cameraIds.join(','), ...(s.reason ? { reason: s.reason } : {}),
      details: { session: s.id, kind: s.kind, cameras: s.cameraIds },
    }).catch((err: unknown) => this.deps.log.error({ err }, 'audit of a viewing session failed'));
    this.sweep();
    return s;
  }

  /** The session if it is open, belongs to this user and covers this camera. */
  check(id: string | undefined, username: string, cameraId: string): ViewingSession | undefined {
    const s = id ? this.sessions.get(id) : undefined;
    if (!s || s.username !== username || !s.cameraIds.includes(cameraId)) return undefined;
    return s;
  }

  get(id: string): ViewingSession | undefined {
    return this.sessions.get(id);
  }

  /** Marks activity, and widens the watched range by [from, to] (epoch ms) when given. */
  touch(s: ViewingSession, from?: number, to?: number): void {
    const now = this.now();
    s.lastActivity = now;
    if (s.kind === 'live') { s.watchedTo = now; return; }
    if (from !== undefined) s.watchedFrom = s.watchedFrom === undefined ? from : Math.min(s.watchedFrom, from);
    if (to !== undefined) s.watchedTo = s.watchedTo === undefined ? to : Math.max(s.watchedTo, to);
  }

  async end(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    const now = this.now();
    if (s.kind === 'live') s.watchedTo = now;
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    await this.deps.audit.append({
      actor: s.username, action: 'video.view', target: s.cameraIds.join(','), ...(s.reason ? { reason: s.reason } : {}),
      details: {
        session: s.id, kind: s.kind, cameras: s.cameraIds, startedAt: iso(s.startedAt),
        durationS: Math.round((Math.max(s.lastActivity, s.kind === 'live' ? now : s.lastActivity) - s.startedAt) / 100) / 10,
        watchedFrom: iso(s.watchedFrom), watchedTo: iso(s.watchedTo),
      },
    }).catch((err: unknown) => this.deps.log.error({ err }, 'audit of a viewing session failed'));
  }

  /** Ends every open session (the hub is stopping). */
  async endAll(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id)));
  }

  private sweep(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      const now = this.now();
      for (const s of this.sessions.values()) if (s.kind === 'recorded' && now - s.lastActivity > RECORDED_IDLE_MS) void this.end(s.id);
      if (!this.sessions.size) { clearInterval(this.sweeper); this.sweeper = undefined; }
    }, SWEEP_MS);
    this.sweeper.unref();
  }
}
