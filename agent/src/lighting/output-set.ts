import type { AgentEvent, LightingOutput, LightingUniverseView } from '@sargs/shared';
import type { Logger } from 'pino';
import type { Clock } from '../cameras/types';
import { ArtnetOutput, SacnOutput, type DmxOutput, type OutputDeps, type OutputStatus } from './dmx-output';
import type { LightingStore } from './lighting-store';
import { SerialOutput } from './serial-output';

export type MakeOutput = (spec: LightingOutput, deps: OutputDeps) => DmxOutput;

export const makeOutput: MakeOutput = (spec, deps) => {
  if (spec.driver === 'artnet') return new ArtnetOutput(spec, deps);
  if (spec.driver === 'sacn') return new SacnOutput(spec, deps);
  return new SerialOutput(spec, deps);
};

export interface OutputSetDeps {
  clock: Clock;
  log: Logger;
  store: LightingStore;
  emitEvent: (kind: string, data: AgentEvent['data']) => Promise<number>;
  makeOutput?: MakeOutput;
  /** Runs the report of a status change in the controller's queue, so outbox events stay in order. */
  queue: (fn: () => Promise<void>) => void;
}

/**
 * The site's DMX interfaces, one per universe, and what the hub was told about their health
 * (outbox event `lighting.output`: down, back up, removed). The status last reported is kept,
 * so a restart or a missing interface retried every few seconds reports nothing new.
 */
export class OutputSet {
  private readonly outputs = new Map<number, DmxOutput>();

  constructor(private readonly deps: OutputSetDeps, private reported: Record<string, 'up' | 'down'>) {}

  get(universe: number): DmxOutput | undefined {
    return this.outputs.get(universe);
  }

  write(frames: Map<number, Uint8Array>): void {
    for (const [u, out] of this.outputs) out.write(frames.get(u) ?? new Uint8Array(512));
  }

  views(): LightingUniverseView[] {
    return [...this.outputs.values()].map((o) => ({
      universe: o.spec.universe, driver: o.spec.driver, target: o.target, status: o.status, problem: o.problem,
      since: new Date(o.since).toISOString(), values: Array.from(o.frame),
    }));
  }

  /** Closes interfaces the setup dropped or changed, and (when `open`) opens the ones it added. */
  async reconcile(specs: readonly LightingOutput[], open: boolean): Promise<void> {
    const wanted = new Map(specs.map((o) => [o.universe, o]));
    for (const [u, out] of this.outputs) {
      const spec = wanted.get(u);
      if (spec && JSON.stringify(spec) === JSON.stringify(out.spec)) continue;
      await out.stop();
      this.outputs.delete(u);
      if (!spec && this.reported[u] !== undefined) {
        await this.deps.emitEvent('lighting.output', { universe: u, driver: out.spec.driver, target: out.target, status: 'removed' });
        const { [u]: _gone, ...rest } = this.reported;
        this.reported = rest;
        await this.deps.store.putReportedOutputs(rest);
      }
    }
    if (!open) return;
    for (const spec of wanted.values()) {
      if (this.outputs.has(spec.universe)) continue;
      const out = (this.deps.makeOutput ?? makeOutput)(spec, { clock: this.deps.clock, log: this.deps.log });
      out.on('status', (status) => this.deps.queue(() => this.changed(out, status)));
      this.outputs.set(spec.universe, out);
      out.start();
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.outputs.values()].map((o) => o.stop()));
    this.outputs.clear();
  }

  /** Tells the hub when an interface goes down or comes back. */
  private async changed(out: DmxOutput, status: OutputStatus): Promise<void> {
    const u = out.spec.universe;
    if (status === 'starting' || this.outputs.get(u) !== out || this.reported[u] === status) return;
    // An interface that simply comes up as the setup names it had nothing wrong to report.
    if (!(status === 'up' && this.reported[u] === undefined)) {
      await this.deps.emitEvent('lighting.output', { universe: u, driver: out.spec.driver, target: out.target, status, ...(out.problem ? { problem: out.problem } : {}) });
    }
    this.reported = { ...this.reported, [u]: status };
    await this.deps.store.putReportedOutputs(this.reported);
  }
}
