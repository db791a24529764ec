import type { Alert } from '@sargs/shared';
import type { Level } from 'level';
import { timeOrderedId } from './ids';

type Sub<V> = ReturnType<Level<string, unknown>['sublevel']> & { get(key: string): Promise<V | undefined> };

export type NewAlert = Omit<Alert, 'id' | 'raisedAt' | 'occurrences' | 'resolvedAt' | 'acknowledged'>;

/** Recovery notices are for information; everything else waits for an operator to see it. */
const needsAck = (a: Alert) => !a.acknowledged && a.severity !== 'info';

/**
 * Alerts by id (time-ordered) in the sublevel 'alerts', plus an index of the open one per
 * de-duplication key, so a repeat finds its alert without scanning history.
 */
export class AlertStore {
  private readonly alerts: Sub<Alert>;
  private readonly openByKey: Sub<string>;
  private readonly unacked = new Set<string>();

  constructor(private readonly db: Level<string, unknown>) {
    this.alerts = db.sublevel<string, Alert>('alerts', { valueEncoding: 'json' }) as unknown as Sub<Alert>;
    this.openByKey = db.sublevel<string, string>('alerts-open', { valueEncoding: 'json' }) as unknown as Sub<string>;
  }

  /** Counts what still needs acknowledging; run once before use. */
  async load(): Promise<void> {
    this.unacked.clear();
    for await (const a of this.alerts.values() as AsyncIterable<Alert>) if (needsAck(a)) this.unacked.add(a.id);
  }

  get unacknowledged(): number {
    return this.unacked.size;
  }

  get(id: string): Promise<Alert | undefined> {
    return this.alerts.get(id) as Promise<Alert | undefined>;
  }

  async openFor(key: string): Promise<Alert | undefined> {
    const id = (await this.openByKey.get(key)) as string | undefined;
    return id === undefined ? undefined : this.get(id);
  }

  /** `resolved`: a moment rather than a condition (a recovery), closed as it is raised. */
  async raise(spec: NewAlert, nowMs: number, resolved = false): Promise<Alert> {
    const at = new Date(nowMs).toISOString();
    const alert: Alert = { ...spec, id: timeOrderedId('al_', nowMs), raisedAt: at, occurrences: 1, ...(resolved && { resolvedAt: at }) };
    await this.put(alert);
    return alert;
  }

  /** Writes an alert and keeps the open-key index in step with it, atomically. */
  async put(a: Alert): Promise<void> {
    const index = a.resolvedAt === undefined
      ? { type: 'put', sublevel: this.openByKey, key: a.key, value: a.id }
      : { type: 'del', sublevel: this.openByKey, key: a.key };
    // Only drop the index entry if it still points at this alert, not a newer one under the same key.
    const current = await this.openByKey.get(a.key);
    const ops: unknown[] = [{ type: 'put', sublevel: this.alerts, key: a.id, value: a }];
    if (a.resolvedAt === undefined || current === a.id) ops.push(index);
    await this.db.batch(ops as never);
    if (needsAck(a)) this.unacked.add(a.id);
    else this.unacked.delete(a.id);
  }

  /** Newest first. `open` true: unresolved only; false: resolved only; undefined: all. */
  async list(opts: { open?: boolean; limit: number }): Promise<Alert[]> {
    if (opts.open === true) {
      const ids = (await this.openByKey.values().all()) as string[];
      const all = (await Promise.all(ids.map((id) => this.get(id)))).filter((a): a is Alert => a !== undefined);
      return all.sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, opts.limit);
    }
    const out: Alert[] = [];
    for await (const a of this.alerts.values({ reverse: true }) as AsyncIterable<Alert>) {
      if (opts.open === false && a.resolvedAt === undefined) continue;
      out.push(a);
      if (out.length >= opts.limit) break;
    }
    return out;
  }
}
