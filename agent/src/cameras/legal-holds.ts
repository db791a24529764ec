import { randomUUID } from 'node:crypto';
import type { Level } from 'level';
import { systemClock, type Clock, type Segment } from './types';

/** Footage of one camera between `from` and `to` that retention must keep, e.g. for an investigation. */
export interface LegalHold {
  id: string;
  cameraId: string;
  /** ISO-8601 UTC. */
  from: string;
  to: string;
  reason: string;
  createdAt: string;
  /** Who placed it (user name or id from the hub). */
  by: string;
}

export type NewLegalHold = Pick<LegalHold, 'cameraId' | 'from' | 'to' | 'reason' | 'by'>;

/** The one question retention asks. */
export interface HoldChecker {
  covers(seg: Pick<Segment, 'cameraId' | 'start' | 'end'>): boolean;
}

export class LegalHoldError extends Error {}

type Sub = ReturnType<Level<string, unknown>['sublevel']>;
interface Span { hold: LegalHold; fromMs: number; toMs: number }

/**
 * Legal holds in the agent's LevelDB (sublevel 'holds', keyed by id). This process is the only
 * writer, so a copy is kept in memory and `covers` answers without I/O: retention asks it once
 * per segment it considers.
 */
export class LegalHolds implements HoldChecker {
  private readonly spans = new Map<string, Span>();

  private constructor(private readonly sub: Sub, private readonly clock: Clock) {}

  static async open(db: Level<string, unknown>, clock: Clock = systemClock): Promise<LegalHolds> {
    const holds = new LegalHolds(db.sublevel('holds', { valueEncoding: 'json' }) as Sub, clock);
    for (const h of (await holds.sub.values().all()) as LegalHold[]) holds.spans.set(h.id, span(h));
    return holds;
  }

  async add(req: NewLegalHold): Promise<LegalHold> {
    const fromMs = Date.parse(req.from);
    const toMs = Date.parse(req.to);
    if (!req.cameraId) throw new LegalHoldError('a legal hold needs a cameraId');
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw new LegalHoldError('a legal hold needs ISO-8601 from and to');
    if (toMs <= fromMs) throw new LegalHoldError('a legal hold must end after it starts');
    if (!req.reason.trim()) throw new LegalHoldError('a legal hold needs a reason');
    if (!req.by.trim()) throw new LegalHoldError('a legal hold needs to say who placed it');
    const hold: LegalHold = {
      id: randomUUID(), cameraId: req.cameraId,
      from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(),
      reason: req.reason.trim(), by: req.by.trim(), createdAt: new Date(this.clock.now()).toISOString(),
    };
    await this.sub.put(hold.id, hold);
    this.spans.set(hold.id, span(hold));
    return hold;
  }

  /** Resolves with the released hold (for the audit trail), or undefined if there was none. */
  async release(id: string): Promise<LegalHold | undefined> {
    const existing = this.spans.get(id);
    if (!existing) return undefined;
    await this.sub.del(id);
    this.spans.delete(id);
    return existing.hold;
  }

  /** Holds, oldest range first; those of one camera when `cameraId` is given. */
  list(cameraId?: string): LegalHold[] {
    return [...this.spans.values()]
      .filter((s) => cameraId === undefined || s.hold.cameraId === cameraId)
      .sort((a, b) => a.fromMs - b.fromMs || a.hold.createdAt.localeCompare(b.hold.createdAt))
      .map((s) => ({ ...s.hold }));
  }

  /** True if any hold on the segment's camera overlaps it, even by a moment. */
  covers(seg: Pick<Segment, 'cameraId' | 'start' | 'end'>): boolean {
    const start = Date.parse(seg.start);
    const end = Date.parse(seg.end);
    // An unreadable time cannot be shown to be outside every hold: keep it.
    if (Number.isNaN(start) || Number.isNaN(end)) return this.spans.size > 0;
    for (const s of this.spans.values()) {
      if (s.hold.cameraId === seg.cameraId && start < s.toMs && end > s.fromMs) return true;
    }
    return false;
  }
}

function span(hold: LegalHold): Span {
  return { hold, fromMs: Date.parse(hold.from), toMs: Date.parse(hold.to) };
}
