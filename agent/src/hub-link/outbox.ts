import { EventEmitter } from 'node:events';
import type { AgentEvent } from '@sargs/shared';
import type { Level } from 'level';

export interface OutboxEntry { seq: number; event: AgentEvent }

/** A put that `enqueue` commits in the same batch as the entry; `sublevel` must belong to the outbox's database. */
export interface OutboxAlsoPut { sublevel: unknown; key: string; value: unknown }

type Sub = ReturnType<Level<string, unknown>['sublevel']>;
const key = (seq: number) => String(seq).padStart(12, '0');

/**
 * Messages that must reach the hub, kept in LevelDB until the hub acknowledges them.
 * Each gets the next sequence number at enqueue time; the counter and the entry are
 * written in one batch so a crash cannot reuse a number.
 */
export class Outbox extends EventEmitter<{ added: [number] }> {
  private lastSeq = 0;
  /** Highest sequence on disk, and highest deleted after an ack: entries are always a contiguous range. */
  private written = 0;
  private acked = 0;
  private writing: Promise<unknown> = Promise.resolve();
  private deleting: Promise<unknown> = Promise.resolve();

  private constructor(private readonly entries: Sub, private readonly meta: Sub) { super(); }

  static async open(db: Level<string, unknown>): Promise<Outbox> {
    const ob = new Outbox(db.sublevel('outbox', { valueEncoding: 'json' }) as Sub, db.sublevel('outbox-meta', { valueEncoding: 'json' }) as Sub);
    ob.lastSeq = ((await ob.meta.get('lastSeq')) as number | undefined) ?? 0;
    ob.written = ob.lastSeq;
    const [first] = (await ob.entries.values({ limit: 1 }).all()) as OutboxEntry[];
    ob.acked = first ? first.seq - 1 : ob.lastSeq;
    return ob;
  }

  get size(): number { return this.written - this.acked; }
  get highestSeq(): number { return this.lastSeq; }
  /** Every entry up to this sequence has been acknowledged by the hub and deleted. */
  get ackedSeq(): number { return this.acked; }

  /**
   * Resolves once the entry is on disk. `also` rides in the same batch, so a caller can
   * record its own progress atomically with the entry (no duplicate after a crash).
   */
  enqueue(event: AgentEvent, also: readonly OutboxAlsoPut[] = []): Promise<number> {
    const seq = ++this.lastSeq;
    const write = this.writing.then(() => this.entries.db.batch([
      { type: 'put', sublevel: this.entries as never, key: key(seq), value: { seq, event } },
      { type: 'put', sublevel: this.meta as never, key: 'lastSeq', value: seq },
      ...also.map((op) => ({ type: 'put', sublevel: op.sublevel as never, key: op.key, value: op.value })),
    ] as never));
    this.writing = write.catch(() => undefined);
    return write.then(() => {
      this.written = Math.max(this.written, seq);
      this.emit('added', seq);
      return seq;
    });
  }

  async after(seq: number, limit: number): Promise<OutboxEntry[]> {
    return (await this.entries.values({ gt: key(seq), limit }).all()) as OutboxEntry[];
  }

  /** Deletes everything up to and including `seq`: the hub has stored it. */
  ackUpTo(seq: number): Promise<void> {
    // Serialised: two acks racing would otherwise delete and count the same entries twice.
    const run = this.deleting.then(async () => {
      if (seq <= this.acked) return;
      const keys = await this.entries.keys({ gt: key(this.acked), lte: key(seq) }).all();
      if (keys.length) await this.entries.batch(keys.map((k) => ({ type: 'del' as const, key: k })));
      this.acked = Math.min(seq, this.written);
    });
    this.deleting = run.catch(() => undefined);
    return run;
  }
}
