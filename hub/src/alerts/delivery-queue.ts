import type { Alert, AlertDelivery } from '@sargs/shared';
import { DeliveryFailure, type Channel } from './channels';
import type { Clock, TimerHandle } from './clock';
import type { DeliveryRecord, DeliveryStore } from './delivery-store';
import { timeOrderedId } from './ids';
import type { AlertLog } from './log';
import type { AlertSettings } from './settings';

/**
 * Gets each raised alert to every outside channel, however long a channel is down:
 * every delivery is written to LevelDB before the first attempt and retried with backoff
 * (surviving hub restarts) until it succeeds or `maxAgeMs` has passed.
 */
export class DeliveryQueue {
  private readonly pending = new Map<string, DeliveryRecord>();
  private channels = new Map<string, Channel>();
  private timer?: TimerHandle;
  private running?: Promise<void>;
  private stopped = true;

  constructor(
    private readonly deps: { store: DeliveryStore; clock: Clock; log: AlertLog },
    channels: Channel[],
    private retry: AlertSettings['retry'],
  ) {
    this.setChannels(channels, retry);
  }

  async start(): Promise<void> {
    for (const d of await this.deps.store.loadPending(this.deps.clock.now())) this.pending.set(d.id, d);
    this.stopped = false;
    if (this.pending.size) this.deps.log.info({ pending: this.pending.size }, 'alert deliveries resumed');
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    await this.running;
    for (const c of this.channels.values()) c.close?.();
  }

  setChannels(channels: Channel[], retry: AlertSettings['retry']): void {
    for (const c of this.channels.values()) c.close?.();
    this.channels = new Map(channels.map((c) => [c.name, c]));
    this.retry = retry;
    this.schedule();
  }

  async enqueue(alert: Alert): Promise<void> {
    const now = this.deps.clock.now();
    for (const channel of this.channels.keys()) {
      const at = new Date(now).toISOString();
      const d: DeliveryRecord = { id: timeOrderedId('dl_', now), alertId: alert.id, channel, state: 'pending', createdAt: at, nextAt: at, attempts: [], alert };
      await this.deps.store.put(d);
      this.pending.set(d.id, d);
    }
    this.schedule();
  }

  log(limit: number): Promise<AlertDelivery[]> {
    return this.deps.store.log(limit);
  }

  /** Resolves once nothing is due right now: for tests that step a fake clock. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private schedule(): void {
    if (this.stopped || this.running) return;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    let next = Infinity;
    for (const d of this.pending.values()) next = Math.min(next, Date.parse(d.nextAt!));
    if (next === Infinity) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain().catch((err: unknown) => this.deps.log.error({ err }, 'alert delivery failed unexpectedly'))
        .finally(() => { this.running = undefined; this.schedule(); });
    }, Math.max(0, next - this.deps.clock.now()));
  }

  /** Channels are worked in parallel, each in order, so one slow channel holds up only itself. */
  private async drain(): Promise<void> {
    const failing = new Set<string>();
    while (!this.stopped) {
      const now = this.deps.clock.now();
      const due = [...this.pending.values()].filter((d) => !failing.has(d.channel) && Date.parse(d.nextAt!) <= now).sort((a, b) => (a.id < b.id ? -1 : 1));
      if (!due.length) return;
      const byChannel = new Map<string, DeliveryRecord[]>();
      for (const d of due) byChannel.set(d.channel, [...(byChannel.get(d.channel) ?? []), d]);
      await Promise.all([...byChannel.values()].map(async (list) => {
        for (const d of list) {
          if (this.stopped) return;
          if (!(await this.attempt(d))) { failing.add(d.channel); return; }
        }
      }));
    }
  }

  /** Returns whether the channel took it; after a failure the rest of that channel waits its turn. */
  private async attempt(d: DeliveryRecord): Promise<boolean> {
    const channel = this.channels.get(d.channel);
    const started = this.deps.clock.now();
    const at = new Date(started).toISOString();
    let ok = false;
    if (!channel) {
      d.attempts.push({ at, error: 'channel no longer configured' });
      d.state = 'failed';
    } else {
      try {
        const r = await channel.send(d);
        d.attempts.push({ at, ...(r.status !== undefined && { status: r.status }) });
        d.state = 'delivered';
        ok = true;
      } catch (err) {
        const f = err instanceof DeliveryFailure ? err : new DeliveryFailure((err as Error).message);
        d.attempts.push({ at, ...(f.status !== undefined && { status: f.status }), error: f.message.slice(0, 300) });
        const steps = this.retry.backoffMs;
        const wait = steps[Math.min(d.attempts.length - 1, steps.length - 1)] ?? 60_000;
        const nextAt = this.deps.clock.now() + wait;
        if (nextAt - Date.parse(d.createdAt) > this.retry.maxAgeMs) d.state = 'failed';
        else d.nextAt = new Date(nextAt).toISOString();
        this.deps.log.warn({ delivery: d.id, channel: d.channel, attempt: d.attempts.length, error: f.message, gaveUp: d.state === 'failed' }, 'alert delivery attempt failed');
      }
    }
    if (d.state !== 'pending') {
      delete d.nextAt;
      this.pending.delete(d.id);
    }
    await this.deps.store.put(d);
    for (const o of this.pending.values()) {
      if (o.channel !== d.channel || o === d) continue;
      // The channel is back: whatever waited for it goes now rather than at its next backoff step.
      if (ok && Date.parse(o.nextAt!) > started) o.nextAt = at;
      // The channel is down: the others wait with this one instead of each knocking in turn.
      else if (!ok && d.nextAt && o.nextAt! < d.nextAt) o.nextAt = d.nextAt;
    }
    return ok;
  }
}
