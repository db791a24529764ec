import type { CameraHealth } from '@sargs/shared';
import type { Logger } from 'pino';
import { CameraError } from './camera-errors';
import { HealthTracker, type HealthSettings, type ProbeView } from './health';
import { checkCamera, type CameraCheck, type ProbeOptions } from './onvif-client';
import type { Recorder } from './recorder';
import type { CameraRecord, Clock } from './types';

/** The periodic check; tests put a fake in its place. */
export type Prober = (opts: ProbeOptions) => Promise<CameraCheck>;

/**
 * One camera while the agent runs it: its recorder, its health, and a periodic ONVIF
 * probe that explains an outage (is the camera there, does it take our password, is
 * its clock right). Video progress alone decides online or not.
 */
export class CameraRuntime {
  readonly tracker: HealthTracker;
  probe: ProbeView | undefined;
  private probing = false;
  private lastProbeAt = 0;
  private readonly startedAt: number;
  /** When the assessment could next change with no new input (a stall, the start grace ending). */
  private deadline: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Whether frames were arriving at the last assessment. */
  private flowing = false;

  constructor(
    public record: CameraRecord,
    readonly recorder: Recorder,
    private readonly password: () => string,
    private readonly deps: {
      clock: Clock; log: Logger; health: HealthSettings; probeIntervalMs: number; onlineProbeIntervalMs: number; prober?: Prober;
      /** Whether the recordings disk is below its floor, asked at each assessment. */
      diskLow: () => boolean;
      /** Called with each new health; the only way changes leave this object. */
      onChange: (health: CameraHealth) => void;
    },
  ) {
    this.tracker = new HealthTracker(record.id, deps.clock, deps.health);
    this.startedAt = deps.clock.now();
    // Health is assessed when something happens, not on a tick: a gateway with few cameras
    // spent a third of the agent's CPU waking up to find nothing changed. A stall is the
    // absence of an event, so a deadline timer stands in for it, set from the last frame. While
    // frames flow a new one changes nothing: the deadline looks again when it fires and is set
    // from the newest frame. Only a frame after silence needs an assessment at once.
    recorder.on('state', () => this.assess());
    recorder.on('progress', () => { if (!this.flowing) this.assess(); });
    this.assess();
  }

  get health(): CameraHealth { return this.tracker.health; }

  /** Re-assesses health now (an input changed); reports a change and re-arms the deadline. */
  assess(): void {
    if (this.stopped) return;
    const r = this.recorder;
    const view = { state: r.state, ...(r.failure ? { failure: r.failure } : {}), ...(r.lastFrameAt !== undefined ? { lastFrameAt: r.lastFrameAt } : {}) };
    const changed = this.tracker.evaluate(view, this.probe, this.deps.diskLow());
    this.flowing = r.state === 'recording' && r.lastFrameAt !== undefined && this.deps.clock.now() - r.lastFrameAt <= this.deps.health.stallMs;
    this.armDeadline();
    if (!changed) return;
    this.deps.onChange(changed);
    // When video stops, ask the camera at once why, rather than at the next periodic probe.
    if (changed.state !== 'online') void this.runProbe(true);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.deadline);
  }

  private armDeadline(): void {
    const now = this.deps.clock.now();
    const { stallMs, startGraceMs } = this.deps.health;
    const last = this.recorder.state === 'recording' ? this.recorder.lastFrameAt : undefined;
    let at: number | undefined;
    if (last !== undefined && now - last <= stallMs) at = last + stallMs + 1;
    else if (now - this.startedAt < startGraceMs) at = this.startedAt + startGraceMs + 1;
    clearTimeout(this.deadline);
    // The verdict waits one turn of the event loop: after a stall of the loop itself, the write
    // poll and any report waiting in a pipe run first, so a healthy camera is not called stalled.
    this.deadline = at === undefined ? undefined : setTimeout(() => setImmediate(() => this.assess()), Math.max(0, at - now));
  }

  /**
   * Probes if the interval has passed (or `now`); never two at once. While the camera is
   * online a probe only watches for clock drift and password changes, so it runs far less
   * often (every 5 minutes by default): on a small gateway the checks were most of the
   * agent's own CPU once video liveness cost almost nothing.
   */
  async runProbe(now = false): Promise<void> {
    const t = this.deps.clock.now();
    const interval = this.health.state === 'online' ? this.deps.onlineProbeIntervalMs : this.deps.probeIntervalMs;
    if (this.probing || (!now && t - this.lastProbeAt < interval)) return;
    this.probing = true;
    this.lastProbeAt = t;
    try {
      const result = await (this.deps.prober ?? checkCamera)({
        url: this.record.deviceUrl, username: this.record.username, password: this.password(), timeoutMs: 3000, clock: this.deps.clock,
      });
      this.probe = { ok: true, clockOffsetMs: result.clockOffsetMs };
      this.assess();
    } catch (err) {
      if (!(err instanceof CameraError)) {
        this.deps.log.warn({ err, cameraId: this.record.id }, 'camera probe failed unexpectedly');
        this.probe = { ok: false, failure: 'protocol', detail: 'probe failed' };
      } else {
        const failure = err.kind === 'unauthorized' || err.kind === 'unreachable' || err.kind === 'clock-skew' ? err.kind : 'protocol';
        this.probe = { ok: false, failure, detail: err.message };
      }
      this.assess();
    } finally {
      this.probing = false;
    }
  }
}
