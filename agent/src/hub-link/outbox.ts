import { EventEmitter } from 'node:events';
import type { AgentEvent } from '@sargs/shared';
import type { Level } from 'level';

export interface OutboxEntry { seq: number; event: AgentEvent }

type Sub = ReturnType<Level<string, unknown>['sublevel']>;
const key = (seq: number) => String(seq).padStart(12, '0');

/**
 * Messages that must reach the hub, kept in LevelDB until the hub acknowledges them.
 * Each gets the next sequence number at enqueue time; the counter and the entry are
 * written in one batch so a crash cannot reuse a number.
 */
export class Outbox extends EventEmitter<{ added: [number] }> {
  private lastSeq = 0;
  private pending = 0;
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(private readonly entries: Sub, private readonly meta: Sub) { super(); }

  static async open(db: Level<string, unknown>): Promise<Outbox> {
    const ob = new Outbox(db.sublevel('outbox', { valueEncoding: 'json' }) as Sub, db.sublevel('outbox-meta', { valueEncoding: 'json' }) as Sub);
    ob.lastSeq = ((await ob.meta.get('lastSeq')) as number | undefined) ?? 0;
    ob.pending = (await ob.entries.keys().all()).length;
    return ob;
  }

  get size(): number { return this.pending; }
  get highestSeq(): number { return this.lastSeq; }

  /** Resolves once the entry is on disk. */
  enqueue(event: AgentEvent): Promise<number> {
    const seq = ++this.lastSeq;
    const write = this.writing.then(() => this.entries.db.batch([
      { type: 'put', sublevel: this.entries as never, key: key(seq), value: { seq, event } },
      { type: 'put', sublevel: this.meta as never, key: 'lastSeq', value: seq },
    ] as never));
    this.writing = write.catch(() => undefined);
    return write.then(() => {
      this.pending++;
      this.emit('added', seq);
      return seq;
    });
  }

  async after(seq: number, limit: number): Promise<OutboxEntry[]> {
    return (await this.entries.values({ gt: key(seq), limit }).all()) as OutboxEntry[];
  }

  /** Deletes everything up to and including `seq`: the hub has stored it. */
  async ackUpTo(seq: number): Promise<void> {
    const keys = await this.entries.keys({ lte: key(seq) }).all();
    if (!keys.length) return;
    await this.entries.batch(keys.map((k) => ({ type: 'del' as const, key: k })));
    this.pending = Math.max(0, this.pending - keys.length);
  }
}
