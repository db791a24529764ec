import type { Alert, AlertDelivery } from '@sargs/shared';
import type { Level } from 'level';

type Sub<V> = ReturnType<Level<string, unknown>['sublevel']> & { get(key: string): Promise<V | undefined> };

/** A delivery as kept: the log entry plus the alert it carries, so a retry after a restart sends the same thing. */
export interface DeliveryRecord extends AlertDelivery { alert: Alert }

/** Finished deliveries are kept this long for the log; pending ones until they succeed or give up. */
const KEEP_FINISHED_MS = 30 * 24 * 3600_000;

/** The durable queue and delivery log: sublevel 'alert-deliveries', keyed by time-ordered id. */
export class DeliveryStore {
  private readonly sub: Sub<DeliveryRecord>;

  constructor(db: Level<string, unknown>) {
    this.sub = db.sublevel<string, DeliveryRecord>('alert-deliveries', { valueEncoding: 'json' }) as unknown as Sub<DeliveryRecord>;
  }

  put(d: DeliveryRecord): Promise<void> {
    return this.sub.put(d.id, d);
  }

  /** The pending deliveries, dropping finished ones old enough to have left the log. */
  async loadPending(nowMs: number): Promise<DeliveryRecord[]> {
    const pending: DeliveryRecord[] = [];
    for await (const [k, d] of this.sub.iterator() as AsyncIterable<[string, DeliveryRecord]>) {
      if (d.state === 'pending') pending.push(d);
      else if (nowMs - Date.parse(d.createdAt) > KEEP_FINISHED_MS) await this.sub.del(k);
    }
    return pending;
  }

  /** Newest first, without the alert body: the log an operator reads. */
  async log(limit: number): Promise<AlertDelivery[]> {
    const recs = (await this.sub.values({ reverse: true, limit }).all()) as DeliveryRecord[];
    return recs.map(({ alert: _alert, ...view }) => view);
  }
}
