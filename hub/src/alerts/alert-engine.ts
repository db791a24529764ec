import { EventEmitter } from 'node:events';
import type { AgentView, Alert, AlertChanged, CameraView } from '@sargs/shared';
import type { Fleet } from '../fleet/fleet';
import type { HubStore } from '../store/hub-store';
import { AlertStore, type NewAlert } from './alert-store';
import { EmailChannel, WebhookChannel, type Channel } from './channels';
import { systemClock, type Clock, type TimerHandle } from './clock';
import { DeliveryQueue } from './delivery-queue';
import { DeliveryStore } from './delivery-store';
import type { AlertLog } from './log';
import { resolveAlertSettings, type AlertSettings, type AlertSettingsInput } from './settings';

/** What the engine remembers about one camera between its health changes. */
interface CameraTrack {
  id: string; agentId: string; siteId: string; name: string;
  /** Up or down as last seen; "recorder restarting" is neither and changes nothing. */
  live?: 'up' | 'down';
  reason: string | null;
  /** When it went up or down, within the flap window. */
  changes: number[];
  holdDown?: TimerHandle;
  stableCheck?: TimerHandle;
  restartingSince?: number;
  restarts: number[];
  recorderTimer?: TimerHandle;
}

const cameraKey = (id: string) => `camera-offline:${id}`;
const recorderKey = (id: string) => `recorder-failing:${id}`;
const diskKey = (agentId: string) => `disk-low:${agentId}`;
const agentKey = (id: string) => `agent-lost:${id}`;

const minutes = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

export interface AlertEngineDeps {
  fleet: Fleet;
  store: HubStore;
  log: AlertLog;
  clock?: Clock;
  /** Replaces the channels built from the settings (tests). */
  channels?: (s: AlertSettings) => Channel[];
}

function buildChannels(s: AlertSettings): Channel[] {
  return [...s.webhooks.map((w) => new WebhookChannel(w)), ...(s.email ? [new EmailChannel(s.email)] : [])];
}

/**
 * Turns fleet changes into alerts: waits out short outages (hold-down), keeps one open
 * alert per problem (repeats count up), damps flapping cameras, and hands every newly
 * raised alert to the console (the 'alert' event) and to the outside channels.
 */
export class AlertEngine extends EventEmitter<{ alert: [AlertChanged] }> {
  readonly alerts: AlertStore;
  readonly deliveries: DeliveryQueue;
  private settings: AlertSettings;
  private readonly clock: Clock;
  private readonly cameras = new Map<string, CameraTrack>();
  private readonly agentTimers = new Map<string, TimerHandle>();
  private chain: Promise<void> = Promise.resolve();
  private running = false;
  private readonly onCamera = (v: CameraView) => { if (v.current) this.run(() => this.cameraChanged(v)); };
  private readonly onAgent = (v: AgentView) => this.agentChanged(v);

  constructor(private readonly deps: AlertEngineDeps, input?: AlertSettingsInput) {
    super();
    this.setMaxListeners(0);
    this.clock = deps.clock ?? systemClock;
    this.settings = resolveAlertSettings(input);
    this.alerts = new AlertStore(deps.store.database);
    this.deliveries = new DeliveryQueue(
      { store: new DeliveryStore(deps.store.database), clock: this.clock, log: deps.log },
      (deps.channels ?? buildChannels)(this.settings), this.settings.retry,
    );
  }

  async start(): Promise<void> {
    await this.alerts.load();
    await this.deliveries.start();
    this.running = true;
    this.deps.fleet.on('camera', this.onCamera);
    this.deps.fleet.on('agent', this.onAgent);
    // After a hub restart no agent is connected yet: the ones that never come back are lost.
    for (const a of await this.deps.store.listAgents()) {
      if (a.lastSeen !== null) this.agentChanged(this.deps.fleet.view(a));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.deps.fleet.off('camera', this.onCamera);
    this.deps.fleet.off('agent', this.onAgent);
    for (const t of this.agentTimers.values()) this.clock.clearTimeout(t);
    this.agentTimers.clear();
    for (const c of this.cameras.values()) for (const t of [c.holdDown, c.stableCheck, c.recorderTimer]) if (t) this.clock.clearTimeout(t);
    this.cameras.clear();
    await this.chain;
    await this.deliveries.stop();
  }

  reload(input: AlertSettingsInput): void {
    this.settings = resolveAlertSettings(input);
    this.deliveries.setChannels((this.deps.channels ?? buildChannels)(this.settings), this.settings.retry);
  }

  /** Resolves when every change received so far has been handled. */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do { seen = this.chain; await seen; } while (seen !== this.chain);
  }

  get unacknowledged(): number {
    return this.alerts.unacknowledged;
  }

  /**
   * Raises an alert, or counts a repeat of the open one with the same key. Only a new
   * alert goes to the outside channels: repeats are what de-duplication is for.
   * For rules that live elsewhere (a vehicle's link, once drones exist).
   */
  raise(spec: NewAlert, opts: { countRepeat?: boolean } = {}): Promise<Alert> {
    return this.serial(() => this.raiseNow(spec, opts));
  }

  /** Resolves the open alert with this key; returns it, or undefined when none was open. */
  resolve(key: string): Promise<Alert | undefined> {
    return this.serial(() => this.resolveNow(key));
  }

  /** Raises a moment rather than a condition (a recovery): closed as it is raised, still delivered. */
  notice(spec: NewAlert): Promise<void> {
    return this.serial(() => this.raiseEvent(spec));
  }

  private async raiseNow(spec: NewAlert, opts: { countRepeat?: boolean } = {}): Promise<Alert> {
    const open = await this.alerts.openFor(spec.key);
    if (open) {
      if (opts.countRepeat === false) return open;
      const next = { ...open, title: spec.title, detail: spec.detail, occurrences: open.occurrences + 1 };
      await this.save(next);
      return next;
    }
    const alert = await this.alerts.raise(spec, this.clock.now());
    this.deps.log.info({ alert: alert.id, key: alert.key, kind: alert.kind }, 'alert raised');
    this.changed(alert);
    await this.deliveries.enqueue(alert);
    return alert;
  }

  private async resolveNow(key: string): Promise<Alert | undefined> {
    const open = await this.alerts.openFor(key);
    if (!open) return undefined;
    const done = { ...open, resolvedAt: new Date(this.clock.now()).toISOString() };
    await this.save(done);
    return done;
  }

  /** Returns the acknowledged alert, 'missing', or 'already' (the first acknowledgement is kept as said). */
  async acknowledge(id: string, by: string, comment: string): Promise<Alert | 'missing' | 'already'> {
    return this.serial(async () => {
      const a = await this.alerts.get(id);
      if (!a) return 'missing';
      if (a.acknowledged) return 'already';
      const next = { ...a, acknowledged: { by, at: new Date(this.clock.now()).toISOString(), comment } };
      await this.save(next);
      return next;
    });
  }

  private async save(a: Alert): Promise<void> {
    await this.alerts.put(a);
    this.changed(a);
  }

  private changed(alert: Alert): void {
    this.emit('alert', { alert, unacknowledged: this.alerts.unacknowledged });
  }

  /** Changes are handled one at a time, in arrival order, so two events never race on one alert. */
  private run(fn: () => Promise<void>): void {
    void this.serial(fn).catch((err: unknown) => this.deps.log.error({ err }, 'alert rule failed'));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.then(() => undefined, () => undefined);
    return p;
  }

  private later(ms: number, fn: () => Promise<void>): TimerHandle {
    return this.clock.setTimeout(() => { if (this.running) this.run(fn); }, ms);
  }

  private track(v: CameraView): CameraTrack {
    let t = this.cameras.get(v.info.id);
    if (!t) {
      t = { id: v.info.id, agentId: v.agentId, siteId: v.siteId, name: v.info.name, reason: null, changes: [], restarts: [] };
      this.cameras.set(t.id, t);
    }
    Object.assign(t, { agentId: v.agentId, siteId: v.siteId, name: v.info.name, reason: v.health.reason });
    return t;
  }

  // ---- cameras: offline / online, flapping ----

  private async cameraChanged(v: CameraView): Promise<void> {
    const t = this.track(v);
    const now = this.clock.now();
    await this.diskRule(v);
    await this.recorderRule(v, t, now);

    const live = v.health.state === 'offline' ? 'down' : v.health.reason === 'recorder-restarting' ? undefined : 'up';
    if (live === undefined || live === t.live) return;
    const first = t.live === undefined;
    t.live = live;
    const { changes: maxChanges, windowMs } = this.settings.flap;
    if (!first) t.changes.push(now);
    t.changes = t.changes.filter((at) => now - at < windowMs);
    const flapping = t.changes.length > maxChanges;
    if (t.stableCheck) { this.clock.clearTimeout(t.stableCheck); t.stableCheck = undefined; }

    if (live === 'down') {
      const open = await this.alerts.openFor(cameraKey(t.id));
      // Still down as when the hub last saw it (a restart): the open alert already says so.
      if (first && open) return;
      if (flapping || open) {
        if (t.holdDown) { this.clock.clearTimeout(t.holdDown); t.holdDown = undefined; }
        await this.raiseCameraOffline(t, flapping);
      } else if (!t.holdDown) {
        t.holdDown = this.later(this.settings.holdDownMs, async () => {
          t.holdDown = undefined;
          if (t.live === 'down' && (await this.deps.store.getCamera(t.agentId, t.id))) await this.raiseCameraOffline(t, false);
        });
      }
      return;
    }

    if (t.holdDown) { this.clock.clearTimeout(t.holdDown); t.holdDown = undefined; }
    if (!(await this.alerts.openFor(cameraKey(t.id)))) return;
    if (!flapping) return this.cameraRecovered(t);
    // Flapping: the recovery waits until the camera has stayed up for a whole window.
    t.stableCheck = this.later(windowMs, async () => {
      t.stableCheck = undefined;
      if (t.live === 'up') await this.cameraRecovered(t);
    });
  }

  private async raiseCameraOffline(t: CameraTrack, flapping: boolean): Promise<void> {
    const { changes, windowMs } = this.settings.flap;
    await this.raiseNow({
      key: cameraKey(t.id), kind: 'camera.offline', severity: 'critical',
      siteId: t.siteId, agentId: t.agentId, cameraId: t.id,
      title: flapping ? `Camera "${t.name}" is flapping` : `Camera "${t.name}" is offline`,
      detail: flapping
        ? `More than ${changes} state changes within ${minutes(windowMs)}; recoveries are held back until it is stable for ${minutes(windowMs)}.`
        : `No video${t.reason ? ` (${t.reason})` : ''} for more than ${minutes(this.settings.holdDownMs)}.`,
    });
  }

  private async cameraRecovered(t: CameraTrack): Promise<void> {
    const done = await this.resolveNow(cameraKey(t.id));
    if (!done) return;
    const down = Date.parse(done.resolvedAt!) - Date.parse(done.raisedAt);
    await this.raiseEvent({
      key: `camera-online:${t.id}`, kind: 'camera.online', severity: 'info',
      siteId: t.siteId, agentId: t.agentId, cameraId: t.id,
      title: `Camera "${t.name}" is back online`,
      detail: `Back after ${minutes(down)} (alert ${done.id}, ${done.occurrences} occurrence${done.occurrences === 1 ? '' : 's'}).`,
    });
  }

  /** A recovery is a moment, not a condition: raised already resolved, so it never de-duplicates into the next one. */
  private async raiseEvent(spec: NewAlert): Promise<void> {
    const done = await this.alerts.raise(spec, this.clock.now(), true);
    this.changed(done);
    this.deps.log.info({ alert: done.id, key: done.key, kind: done.kind }, 'alert raised');
    await this.deliveries.enqueue(done);
  }

  // ---- disk and recorder ----

  private async diskRule(v: CameraView): Promise<void> {
    const key = diskKey(v.agentId);
    if (v.health.reason === 'disk-low') {
      const agent = await this.deps.store.getAgent(v.agentId);
      await this.raiseNow({
        key, kind: 'disk.low', severity: 'warning', siteId: v.siteId, agentId: v.agentId,
        title: `Disk low on "${agent?.name ?? v.agentId}"`,
        detail: v.health.detail ?? 'Free space is below the floor; the oldest recordings are being removed early.',
      }, { countRepeat: false });
    } else if (v.health.state === 'online') {
      // Health reports disk-low ahead of "online", so an online camera means the disk is fine again.
      await this.resolveNow(key);
    }
  }

  private async recorderRule(v: CameraView, t: CameraTrack, now: number): Promise<void> {
    const { afterMs, repeats } = this.settings.recorderFailing;
    if (v.health.reason !== 'recorder-restarting') {
      t.restartingSince = undefined;
      if (t.recorderTimer) { this.clock.clearTimeout(t.recorderTimer); t.recorderTimer = undefined; }
      if (v.health.state === 'online') await this.resolveNow(recorderKey(t.id));
      return;
    }
    if (t.restartingSince !== undefined) return;
    t.restartingSince = now;
    t.restarts = [...t.restarts.filter((at) => now - at < this.settings.flap.windowMs), now];
    if (t.restarts.length >= repeats) await this.raiseRecorderFailing(t, `Restarted ${t.restarts.length} times within ${minutes(this.settings.flap.windowMs)}.`);
    else {
      t.recorderTimer = this.later(afterMs, async () => {
        t.recorderTimer = undefined;
        if (t.restartingSince === now) await this.raiseRecorderFailing(t, `Restarting for more than ${minutes(afterMs)}.`);
      });
    }
  }

  private async raiseRecorderFailing(t: CameraTrack, detail: string): Promise<void> {
    // A camera already reported offline or flapping explains its restarts; one alert is enough.
    if (await this.alerts.openFor(cameraKey(t.id))) return;
    await this.raiseNow({
      key: recorderKey(t.id), kind: 'recorder.failing', severity: 'warning',
      siteId: t.siteId, agentId: t.agentId, cameraId: t.id,
      title: `Recorder for "${t.name}" keeps failing`, detail,
    }, { countRepeat: false });
  }

  // ---- agents ----

  private agentChanged(v: AgentView): void {
    const timer = this.agentTimers.get(v.id);
    if (v.online || v.revoked) {
      if (timer) { this.clock.clearTimeout(timer); this.agentTimers.delete(v.id); }
      if (v.online) this.run(() => this.agentBack(v.id));
      return;
    }
    // A gateway that has never connected is not lost, it is not installed yet.
    if (timer || v.lastSeen === null) return;
    this.agentTimers.set(v.id, this.later(this.settings.agentLostAfterMs, async () => {
      this.agentTimers.delete(v.id);
      const a = await this.deps.store.getAgent(v.id);
      if (!a || a.revoked || this.deps.fleet.isOnline(v.id)) return;
      await this.raiseNow({
        key: agentKey(a.id), kind: 'agent.lost', severity: 'critical', siteId: a.siteId, agentId: a.id,
        title: `Agent "${a.name}" lost`,
        detail: `No connection for more than ${minutes(this.settings.agentLostAfterMs)}${a.lastSeen ? `; last seen ${a.lastSeen}` : ''}.`,
      }, { countRepeat: false });
    }));
  }

  private async agentBack(agentId: string): Promise<void> {
    const done = await this.resolveNow(agentKey(agentId));
    if (!done) return;
    const a = await this.deps.store.getAgent(agentId);
    await this.raiseEvent({
      key: `agent-back:${agentId}`, kind: 'agent.back', severity: 'info', siteId: done.siteId, agentId,
      title: `Agent "${a?.name ?? agentId}" is back`,
      detail: `Connected again after ${minutes(Date.parse(done.resolvedAt!) - Date.parse(done.raisedAt))}.`,
    });
  }
}
