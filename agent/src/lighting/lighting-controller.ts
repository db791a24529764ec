import {
  checkLightingSetup, type AgentEvent, type LightingOverride, type LightingSceneView, type LightingSetup, type LightingState, type LightingSwitched,
} from '@sargs/shared';
import type { Level } from 'level';
import type { Logger } from 'pino';
import type { Clock } from '../cameras/types';
import { ComponentLoop } from '../util/waker';
import type { DmxOutput } from './dmx-output';
import { LightingStore } from './lighting-store';
import { OutputSet, type MakeOutput } from './output-set';
import { composeFrames } from './scene-frames';
import { evaluateSchedule, type ScheduleContext } from './schedule';

/** A request the controller refuses; `code` is the request error code the hub gets. */
export class LightingError extends Error {
  constructor(readonly code: 'bad-request' | 'not-found', message: string) { super(message); }
}

export interface LightingDeps {
  db: Level<string, unknown>;
  log: Logger;
  clock: Clock;
  emitEvent: (kind: string, data: AgentEvent['data']) => Promise<number>;
  /** The configuration file's `lighting` section, already checked. */
  fileSetup?: LightingSetup;
  /** Builds the interface of an output (tests shorten serial reconnects). */
  makeOutput?: MakeOutput;
  /** Zone of fixed times when the setup names none (default: the gateway's). */
  timeZone?: string;
}

const EMPTY: LightingSetup = { outputs: [], fixtures: [], scenes: [] };
/** A clock step (NTP) or a missed timer is caught within this. */
const MAX_WAIT_MS = 60_000;
const MIN_WAIT_MS = 250;
const iso = (t: number) => new Date(t).toISOString();

/**
 * Runs a site's lighting: which scenes are on (manual override, else schedule), the frames
 * that makes, the interfaces that send them, and what the hub is told (outbox events
 * `lighting.switched` and `lighting.output`). One loop (DESIGN §2): a step, then a wait until
 * the next switch or expiry, a change (override, new setup), or stop().
 */
export class LightingController {
  private setup: LightingSetup;
  private source: LightingState['source'];
  private setBy: string | null;
  private readonly outputs: OutputSet;
  private views: LightingSceneView[] = [];
  /** Why the next switch of a scene happens, when it is not the schedule or an override. */
  private readonly pendingCause = new Map<string, { cause: LightingSwitched['cause']; by: string }>();
  private nextWake: number | null = null;
  private running = false;
  private readonly loop = new ComponentLoop((signal) => this.run(signal));
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly deps: LightingDeps,
    private readonly store: LightingStore,
    stored: { setup: LightingSetup; source: LightingState['source']; by: string | null },
    private overrides: Record<string, LightingOverride>,
    private reported: Record<string, boolean>,
    reportedOutputs: Record<string, 'up' | 'down'>,
  ) {
    this.outputs = new OutputSet({
      clock: deps.clock, log: deps.log, store, emitEvent: deps.emitEvent, ...(deps.makeOutput ? { makeOutput: deps.makeOutput } : {}),
      queue: (fn) => { this.serial(fn).catch((err: unknown) => deps.log.error({ err }, 'lighting: reporting an interface failed')); },
    }, reportedOutputs);
    this.setup = stored.setup;
    this.source = stored.source;
    this.setBy = stored.by;
  }

  static async open(deps: LightingDeps): Promise<LightingController> {
    const store = LightingStore.open(deps.db);
    let hub = await store.hubSetup();
    const stale = hub && checkLightingSetup(hub.setup, 'setup');
    if (hub && stale && !stale.ok) {
      // Kept by an older version with looser rules: run the file's setup rather than a bad one.
      deps.log.error({ setBy: hub.by, problem: stale.error }, 'lighting: the setup set from the hub no longer passes the checks; ignoring it');
      hub = undefined;
    }
    if (hub && deps.fileSetup) deps.log.warn({ setBy: hub.by, setAt: hub.at }, 'lighting: using the setup set from the hub; the configuration file\'s "lighting" section is ignored');
    const stored = hub ? { setup: hub.setup, source: 'hub' as const, by: hub.by }
      : deps.fileSetup ? { setup: deps.fileSetup, source: 'file' as const, by: null } : { setup: EMPTY, source: 'none' as const, by: null };
    return new LightingController(deps, store, stored, await store.overrides(), await store.reportedScenes(), await store.reportedOutputs());
  }

  get timeZone(): string {
    return this.setup.timeZone ?? this.deps.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  /** Opens the interfaces and starts switching. */
  start(): void {
    if (this.loop.running) return;
    this.running = true;
    this.reconcileOutputs().catch((err: unknown) => this.deps.log.error({ err }, 'lighting: opening interfaces failed'));
    this.loop.start();
  }

  /** Resolves when the loop has ended and every interface is closed. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop.stop();
    await this.serial(() => this.outputs.stopAll());
  }

  /** One step now: expire overrides, switch scenes, send frames (tests drive a fake clock with this). */
  tick(): Promise<void> {
    return this.serial(() => this.step());
  }

  async state(): Promise<LightingState> {
    await this.tick();
    return {
      at: iso(this.deps.clock.now()), source: this.source, setBy: this.setBy, timeZone: this.timeZone, setup: this.setup,
      scenes: this.views,
      universes: this.outputs.views(),
    };
  }

  /** The interface of a universe (tests watch its reconnects). */
  output(universe: number): DmxOutput | undefined {
    return this.outputs.get(universe);
  }

  /** Replaces the setup (from the hub) after checking it; kept in the agent's database. */
  async configure(raw: unknown, by: string): Promise<LightingState> {
    const check = checkLightingSetup(raw, 'setup');
    if (!check.ok) throw new LightingError('bad-request', check.error);
    await this.serial(async () => {
      await this.store.putHubSetup({ setup: check.setup, by, at: iso(this.deps.clock.now()) });
      this.setup = check.setup;
      this.source = 'hub';
      this.setBy = by;
      for (const s of [...check.setup.scenes.map((x) => x.name), ...Object.keys(this.reported)]) this.pendingCause.set(s, { cause: 'setup', by });
      this.deps.log.info({ by, outputs: check.setup.outputs.length, fixtures: check.setup.fixtures.length, scenes: check.setup.scenes.length }, 'lighting setup changed');
    });
    if (this.running) await this.reconcileOutputs();
    this.loop.wake();
    return this.state();
  }

  /** Switches a scene on or off for `minutes`, whatever its schedule says; then the schedule resumes. */
  async override(scene: string, state: 'on' | 'off', minutes: number, by: string): Promise<LightingState> {
    this.sceneOrThrow(scene);
    await this.serial(async () => {
      this.overrides = { ...this.overrides, [scene]: { state, until: iso(this.deps.clock.now() + minutes * 60_000), by } };
      await this.store.putOverrides(this.overrides);
    });
    this.loop.wake();
    return this.state();
  }

  /** Ends a scene's override now (nothing to do when it has none). */
  async resume(scene: string, by: string): Promise<LightingState> {
    this.sceneOrThrow(scene);
    await this.serial(async () => {
      if (!this.overrides[scene]) return;
      const { [scene]: _gone, ...rest } = this.overrides;
      this.overrides = rest;
      this.pendingCause.set(scene, { cause: 'resumed', by });
      await this.store.putOverrides(this.overrides);
    });
    this.loop.wake();
    return this.state();
  }

  private sceneOrThrow(scene: string): void {
    if (!this.setup.scenes.some((s) => s.name === scene)) throw new LightingError('not-found', `no scene "${scene}" at this site`);
  }

  /** Steps, setup changes and interface reports run one at a time, so events reach the outbox in order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (err) {
        this.deps.log.error({ err }, 'lighting step failed');
      }
      const wait = this.nextWake === null ? MAX_WAIT_MS : Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, this.nextWake - this.deps.clock.now()));
      await this.loop.sleep(wait, signal);
    }
  }

  private async step(): Promise<void> {
    const now = this.deps.clock.now();
    const names = new Set(this.setup.scenes.map((s) => s.name));
    const expired = new Set(Object.entries(this.overrides).filter(([n, o]) => Date.parse(o.until) <= now || !names.has(n)).map(([n]) => n));
    if (expired.size) {
      this.overrides = Object.fromEntries(Object.entries(this.overrides).filter(([n]) => !expired.has(n)));
      await this.store.putOverrides(this.overrides);
    }
    // Asked for only when a scene needs it: the first time-zone lookup maps ~6 MB of ICU data into the process.
    let ctx: ScheduleContext | undefined;
    const on = new Set<string>();
    const views: LightingSceneView[] = [];
    const wakes: number[] = [];
    const reported = { ...this.reported };
    for (const scene of this.setup.scenes) {
      ctx ??= { location: this.setup.location, timeZone: this.timeZone };
      const sched = evaluateSchedule(scene.schedule, ctx, now);
      const ov = this.overrides[scene.name];
      const isOn = ov ? ov.state === 'on' : sched.on;
      if (isOn) on.add(scene.name);
      if (ov) wakes.push(Date.parse(ov.until));
      else if (sched.nextChange !== null) wakes.push(sched.nextChange);
      views.push({
        name: scene.name, on: isOn, cause: ov ? 'override' : scene.schedule ? 'schedule' : 'no-schedule', override: ov ?? null,
        schedule: scene.schedule ?? null, scheduled: sched.on, nextChange: sched.nextChange === null ? null : iso(sched.nextChange), cameras: scene.cameras ?? [],
      });
      if ((reported[scene.name] ?? false) === isOn) continue;
      const pending = this.pendingCause.get(scene.name);
      const cause = ov ? 'override' : expired.has(scene.name) ? 'override-expired' : pending?.cause ?? 'schedule';
      const by = ov?.by ?? (cause === 'override-expired' ? undefined : pending?.by);
      await this.report({ scene: scene.name, on: isOn, cause, ...(by ? { by } : {}), ...(ov ? { until: ov.until } : {}) });
      reported[scene.name] = isOn;
    }
    for (const [name, was] of Object.entries(reported)) {
      if (names.has(name)) continue;
      if (was) await this.report({ scene: name, on: false, cause: 'setup', ...(this.pendingCause.get(name) ? { by: this.pendingCause.get(name)!.by } : {}) });
      delete reported[name];
    }
    this.pendingCause.clear();
    if (JSON.stringify(reported) !== JSON.stringify(this.reported)) {
      this.reported = reported;
      await this.store.putReportedScenes(reported);
    }
    this.outputs.write(composeFrames(this.setup, on));
    this.views = views;
    this.nextWake = wakes.length ? Math.min(...wakes) : null;
  }

  private async report(e: LightingSwitched): Promise<void> {
    this.deps.log.info(e, `lighting: scene "${e.scene}" ${e.on ? 'on' : 'off'}`);
    await this.deps.emitEvent('lighting.switched', e);
  }

  /** Closes interfaces the setup dropped or changed, opens the ones it added, and sends them the current frames. */
  private reconcileOutputs(): Promise<void> {
    return this.serial(async () => {
      await this.outputs.reconcile(this.setup.outputs, this.running);
      if (this.running) await this.step();
    });
  }
}
