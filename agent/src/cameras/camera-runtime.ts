import type { CameraHealth } from '@sargs/shared';
import type { Logger } from 'pino';
import { CameraError } from './camera-errors';
import { HealthTracker, type HealthSettings, type ProbeView } from './health';
import { probeCamera, type ProbeOptions, type ProbeResult } from './onvif-client';
import type { Recorder } from './recorder';
import type { CameraRecord, Clock } from './types';

export type Prober = (opts: ProbeOptions) => Promise<ProbeResult>;

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

  constructor(
    public record: CameraRecord,
    readonly recorder: Recorder,
    private readonly password: () => string,
    private readonly deps: { clock: Clock; log: Logger; health: HealthSettings; probeIntervalMs: number; prober?: Prober },
  ) {
    this.tracker = new HealthTracker(record.id, deps.clock, deps.health);
  }

  get health(): CameraHealth { return this.tracker.health; }

  /** Re-assesses health; returns the new health when it changed. */
  evaluate(diskLow: boolean): CameraHealth | undefined {
    const r = this.recorder;
    const view = { state: r.state, ...(r.failure ? { failure: r.failure } : {}), ...(r.lastFrameAt !== undefined ? { lastFrameAt: r.lastFrameAt } : {}) };
    const changed = this.tracker.evaluate(view, this.probe, diskLow);
    // When video stops, ask the camera at once why, rather than at the next periodic probe.
    if (changed && changed.state !== 'online') void this.runProbe(true);
    return changed;
  }

  /**
   * Probes if the interval has passed (or `now`); never two at once. While the camera is
   * online a probe only watches for clock drift and password changes, so it runs six times
   * less often: on a 32-camera gateway the probes were half the agent's own CPU.
   */
  async runProbe(now = false): Promise<void> {
    const t = this.deps.clock.now();
    const interval = this.health.state === 'online' ? this.deps.probeIntervalMs * 6 : this.deps.probeIntervalMs;
    if (this.probing || (!now && t - this.lastProbeAt < interval)) return;
    this.probing = true;
    this.lastProbeAt = t;
    try {
      const result = await (this.deps.prober ?? probeCamera)({
        url: this.record.deviceUrl, username: this.record.username, password: this.password(), timeoutMs: 3000, clock: this.deps.clock,
      });
      this.probe = { ok: true, clockOffsetMs: result.clockOffsetMs };
    } catch (err) {
      if (!(err instanceof CameraError)) {
        this.deps.log.warn({ err, cameraId: this.record.id }, 'camera probe failed unexpectedly');
        this.probe = { ok: false, failure: 'protocol', detail: 'probe failed' };
      } else {
        const failure = err.kind === 'unauthorized' || err.kind === 'unreachable' || err.kind === 'clock-skew' ? err.kind : 'protocol';
        this.probe = { ok: false, failure, detail: err.message };
      }
    } finally {
      this.probing = false;
    }
  }
}
