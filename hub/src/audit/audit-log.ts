import { createHash, createHmac } from 'node:crypto';
import type { Level } from 'level';
import { canonicalJson } from './canonical-json';

/** What the hub records; free-form strings are allowed so new actions need no change here. */
export type AuditAction =
  | 'sign-in' | 'sign-in.failed' | 'sign-out'
  | 'user.create' | 'user.delete' | 'password.change' | 'password.reset'
  | 'footage.view' | 'footage.export' | 'snapshot.view'
  | 'legal-hold.place' | 'legal-hold.release' | 'retention.change'
  | (string & {});

export interface AuditInput {
  /** A username, `agent:<id>` or `system`. */
  actor: string;
  action: AuditAction;
  /** What was acted on: a camera id, a username… */
  target?: string;
  /** Why, in the user's words (required by policy for footage access; not enforced here). */
  reason?: string;
  /** Anything else worth keeping, e.g. `{ sha256, bytes, from, to }` for an export. */
  details?: Record<string, unknown>;
}

export type HashAlgorithm = 'sha256' | 'hmac-sha256';

export interface AuditEntry extends AuditInput {
  seq: number;
  at: string;
  alg: HashAlgorithm;
  prevHash: string;
  hash: string;
}

export interface AuditHead { seq: number; hash: string }

export type AuditProblem = 'hash mismatch' | 'missing entry' | 'broken link' | 'head mismatch' | 'unparseable';

export interface BrokenEntry {
  seq: number;
  problem: AuditProblem;
  /** One sentence for a person reading the verdict. */
  detail: string;
  /** What the broken entry claims to be, when it can still be read. */
  entry?: Pick<AuditEntry, 'action' | 'actor' | 'at' | 'target'>;
}

export type VerifyResult =
  | { ok: true; entries: number; head: AuditHead | null }
  | { ok: false; entries: number; firstBroken: BrokenEntry };

export interface ListQuery {
  /** Inclusive ISO time (or a prefix such as a date). */
  from?: string;
  /** Exclusive ISO time. */
  to?: string;
  actor?: string;
  /** An action, or a family of them: `legal-hold` matches `legal-hold.place` and `legal-hold.release`. */
  action?: string;
  target?: string;
  limit?: number;
  /** Paging cursor: only entries with a smaller seq (pages run newest first). */
  before?: number;
}

export interface ListPage {
  entries: AuditEntry[];
  /** Pass as `before` for the next (older) page; null when there is none. */
  next: number | null;
}

/** The log was sealed with a key this process does not have, so it cannot be checked here. */
export class AuditKeyRequiredError extends Error {}

export const GENESIS_HASH = '0'.repeat(64);
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

const SEQ_DIGITS = 12;
const HEAD_KEY = 'head';
/** Entry keys are all digits; bounding the range keeps the head record out of iterations. */
const ENTRY_RANGE = { gte: '0', lt: ':' } as const;
export const auditKey = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');

type RawSub = ReturnType<Level<string, unknown>['sublevel']>;

export interface AuditLogOptions {
  /**
   * Secret for HMAC-SHA256 sealing (SARGS_AUDIT_KEY). Without it anyone who can write the
   * database can also recompute every hash after an edit; with it, forging needs the key.
   * Set it before the first entry: a keyed verifier rejects unkeyed entries, or a
   * downgrade to plain SHA-256 would be a way round the key.
   */
  key?: string;
  now?: () => Date;
}

/**
 * The hub's append-only, hash-chained audit trail (who did what, when and why) in the
 * sublevel 'audit' of the hub's LevelDB. Each entry's hash covers its content and the
 * previous entry's hash, and a separate head record holds the last (seq, hash), so an
 * edit, a removal in the middle or a removal at the end all break verification.
 */
export class AuditLog {
  private readonly sub: RawSub;
  private readonly key: string | undefined;
  private readonly now: () => Date;
  private head: AuditHead | null | undefined;
  /** Appends run one after another so seq numbers and the chain can never fork. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(db: Level<string, unknown>, opts: AuditLogOptions = {}) {
    this.sub = db.sublevel<string, unknown>('audit', { valueEncoding: 'json' }) as unknown as RawSub;
    this.key = opts.key || undefined;
    this.now = opts.now ?? (() => new Date());
  }

  get keyed(): boolean { return this.key !== undefined; }

  /** Writes one entry; resolves once it (and the new head) are in the database. */
  append(input: AuditInput): Promise<AuditEntry> {
    const run = this.queue.then(() => this.write(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for appends already started; call before closing the database. */
  async flush(): Promise<void> { await this.queue; }

  private async write(input: AuditInput): Promise<AuditEntry> {
    if (!input.actor || !input.action) throw new Error('an audit entry needs an actor and an action');
    const head = this.head === undefined ? await this.loadHead() : this.head;
    const body: Omit<AuditEntry, 'hash'> = {
      seq: (head?.seq ?? 0) + 1,
      at: this.now().toISOString(),
      actor: input.actor,
      action: input.action,
      ...(input.target !== undefined ? { target: input.target } : {}),
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
      // Round-trip through JSON now so what is hashed is exactly what will be read back.
      ...(input.details !== undefined ? { details: JSON.parse(JSON.stringify(input.details)) as Record<string, unknown> } : {}),
      alg: this.key ? 'hmac-sha256' : 'sha256',
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    const entry: AuditEntry = { ...body, hash: this.seal(body, body.alg) };
    const next: AuditHead = { seq: entry.seq, hash: entry.hash };
    await this.sub.batch([
      { type: 'put', key: auditKey(entry.seq), value: entry },
      { type: 'put', key: HEAD_KEY, value: next },
    ] as never);
    this.head = next;
    return entry;
  }

  /**
   * Where to continue the chain after a restart. The head record wins over the last
   * entry when it is further on, so after a deleted tail new entries leave a visible gap
   * instead of quietly re-using the deleted seq numbers; an entry beyond the head is
   * never overwritten.
   */
  private async loadHead(): Promise<AuditHead | null> {
    const stored = await this.readHead();
    const [last] = await this.sub.values({ ...ENTRY_RANGE, reverse: true, limit: 1 }).all() as AuditEntry[];
    const fromLast = last && typeof last.seq === 'number' && typeof last.hash === 'string' ? { seq: last.seq, hash: last.hash } : null;
    this.head = stored && (!fromLast || stored.seq > fromLast.seq) ? stored : fromLast;
    return this.head;
  }

  private async readHead(): Promise<AuditHead | null> {
    try {
      const h = await this.sub.get(HEAD_KEY) as AuditHead | undefined;
      return h && Number.isInteger(h.seq) && typeof h.hash === 'string' ? h : null;
    } catch {
      return null;
    }
  }

  private seal(body: Omit<AuditEntry, 'hash'>, alg: HashAlgorithm): string {
    const text = canonicalJson(body);
    if (alg === 'hmac-sha256') {
      if (!this.key) throw new AuditKeyRequiredError(`audit entry ${body.seq} is sealed with SARGS_AUDIT_KEY, which is not set here: set it to verify the log`);
      return createHmac('sha256', this.key).update(text).digest('hex');
    }
    return createHash('sha256').update(text).digest('hex');
  }

  /** The last (seq, hash) as recorded in the head, or null for an empty log. */
  async currentHead(): Promise<AuditHead | null> {
    await this.flush();
    return this.readHead();
  }

  /**
   * Walks the whole chain in seq order, one entry at a time, and stops at the first
   * entry that was altered, removed or moved. Throws AuditKeyRequiredError if the log is
   * sealed with a key this process lacks (that is not evidence of tampering).
   */
  async verify(): Promise<VerifyResult> {
    await this.flush();
    const head = await this.readHead();
    let expected = 1;
    let prevHash = GENESIS_HASH;
    let checked = 0;
    const broken = (seq: number, problem: AuditProblem, detail: string, e?: Partial<AuditEntry>): VerifyResult => ({
      ok: false, entries: checked,
      firstBroken: { seq, problem, detail, ...(e && typeof e.action === 'string' ? { entry: { action: e.action, actor: String(e.actor), at: String(e.at), ...(e.target !== undefined ? { target: String(e.target) } : {}) } } : {}) },
    });

    // Read raw text so one corrupt value is reported, not thrown from the decoder.
    for await (const [key, raw] of this.sub.iterator({ ...ENTRY_RANGE, valueEncoding: 'utf8' }) as AsyncIterable<[string, string]>) {
      const keySeq = /^\d+$/.test(key) ? Number(key) : NaN;
      if (!Number.isSafeInteger(keySeq)) return broken(expected, 'unparseable', `a record with the key "${key}" does not belong in the log`);
      if (keySeq > expected) return broken(expected, 'missing entry', keySeq - expected === 1 ? `entry ${expected} has been removed` : `entries ${expected} to ${keySeq - 1} have been removed`);
      let e: AuditEntry;
      try {
        e = JSON.parse(raw) as AuditEntry;
        if (!isEntryShape(e)) throw new Error('not an audit entry');
      } catch {
        return broken(keySeq, 'unparseable', `entry ${keySeq} cannot be read as an audit entry`);
      }
      if (e.seq !== keySeq) return broken(keySeq, 'broken link', `the record stored as entry ${keySeq} claims to be entry ${e.seq}: entries have been moved`, e);
      const { hash, ...body } = e;
      if (this.key && e.alg !== 'hmac-sha256') return broken(keySeq, 'hash mismatch', `entry ${keySeq} is not sealed with the audit key`, e);
      if (this.seal(body, e.alg) !== hash) return broken(keySeq, 'hash mismatch', `entry ${keySeq} has been altered since it was written`, e);
      if (e.prevHash !== prevHash) {
        return broken(keySeq, 'broken link', keySeq === 1
          ? 'entry 1 does not start the chain'
          : `entry ${keySeq} does not follow entry ${keySeq - 1}: one of them has been replaced`, e);
      }
      prevHash = hash;
      checked++;
      expected++;
    }

    const last = expected - 1;
    if (!head) {
      if (last === 0) return { ok: true, entries: 0, head: null };
      return broken(last, 'head mismatch', 'the head record is missing: the end of the log cannot be confirmed');
    }
    if (last < head.seq) {
      return broken(last + 1, 'head mismatch', head.seq === last + 1
        ? `entry ${head.seq}, the last one written, has been removed`
        : `entries ${last + 1} to ${head.seq} at the end have been removed`);
    }
    if (last > head.seq) return broken(head.seq + 1, 'head mismatch', `the head record says the log ends at ${head.seq}, but it goes on to ${last}`);
    if (head.hash !== prevHash) return broken(last, 'head mismatch', `entry ${last}, the last one, is not the one the head record names: it has been replaced`);
    return { ok: true, entries: checked, head };
  }

  /** Entries newest first, filtered while iterating; at most MAX_LIST_LIMIT per page. */
  async list(q: ListQuery = {}): Promise<ListPage> {
    await this.flush();
    const limit = Math.min(Math.max(1, Math.floor(q.limit ?? DEFAULT_LIST_LIMIT)), MAX_LIST_LIMIT);
    const range = q.before !== undefined ? { gte: ENTRY_RANGE.gte, lt: auditKey(Math.max(0, Math.floor(q.before))) } : ENTRY_RANGE;
    const entries: AuditEntry[] = [];
    let more = false;
    for await (const [, raw] of this.sub.iterator({ ...range, reverse: true, valueEncoding: 'utf8' }) as AsyncIterable<[string, string]>) {
      let e: AuditEntry;
      try { e = JSON.parse(raw) as AuditEntry; } catch { continue; }
      if (!isEntryShape(e) || !matches(e, q)) continue;
      if (entries.length === limit) { more = true; break; }
      entries.push(e);
    }
    return { entries, next: more ? entries[entries.length - 1]!.seq : null };
  }
}

function isEntryShape(e: unknown): e is AuditEntry {
  if (!e || typeof e !== 'object') return false;
  const o = e as Record<string, unknown>;
  return Number.isSafeInteger(o.seq) && typeof o.at === 'string' && typeof o.actor === 'string' && typeof o.action === 'string'
    && typeof o.prevHash === 'string' && typeof o.hash === 'string' && (o.alg === 'sha256' || o.alg === 'hmac-sha256');
}

function matches(e: AuditEntry, q: ListQuery): boolean {
  if (q.from !== undefined && e.at < q.from) return false;
  if (q.to !== undefined && e.at >= q.to) return false;
  if (q.actor !== undefined && e.actor !== q.actor) return false;
  if (q.target !== undefined && e.target !== q.target) return false;
  if (q.action !== undefined && e.action !== q.action && !e.action.startsWith(`${q.action}.`)) return false;
  return true;
}
