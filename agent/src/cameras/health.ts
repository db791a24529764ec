import { EventEmitter } from 'node:events';
import type { CameraHealth, CameraReason, CameraStateName } from '@sargs/shared';
import type { Clock } from './types';

/** What the recorder says about itself, as the health checker needs it. */
export interface RecorderView {
  state: 'starting' | 'recording' | 'restarting' | 'stopped';
  /** Why ffmpeg last exited, when it did. */
  failure?: 'unauthorized' | 'unreachable' | 'no-video' | 'exited';
  /** Clock time of the last frame ffmpeg reported. */
  lastFrameAt?: number;
}

/** The latest ONVIF reachability probe. */
export type ProbeView =
  | { ok: true; clockOffsetMs: number }
  | { ok: false; failure: 'unreachable' | 'unauthorized' | 'clock-skew' | 'protocol'; detail?: string };

export interface HealthSettings {
  /**
   * No sign of video for this long while recording → offline, stalled. The recorder's writes
   * (a fragment every 0.5 s) are looked at every 0.5 s, so a stall is seen 1.5–2.5 s after the
   * last frame, and a healthy camera may go about 1 s without a sign before it is called stalled.
   */
  stallMs: number;
  /** A recorder that has not produced a frame this long after starting → offline. */
  startGraceMs: number;
  /** |camera clock − gateway clock| above this → degraded, clock-skew (timestamps in footage are wrong). */
  maxClockSkewMs: number;
}

export const DEFAULT_HEALTH: HealthSettings = { stallMs: 2000, startGraceMs: 10_000, maxClockSkewMs: 5000 };

export interface Assessment { state: CameraStateName; reason: CameraReason | null; detail?: string }

/**
 * Decides a camera's state from what its recorder, the last probe and the disk say.
 * Pure: the same inputs at the same time give the same answer. Video is the ground truth:
 * frames arriving mean the camera works, whatever a probe said; no frames mean offline,
 * and the probe and ffmpeg's exit reason only explain why.
 */
export function assessHealth(rec: RecorderView, probe: ProbeView | undefined, diskLow: boolean, startedAt: number, now: number, s: HealthSettings): Assessment {
  const framesFlowing = rec.state === 'recording' && rec.lastFrameAt !== undefined && now - rec.lastFrameAt <= s.stallMs;
  if (framesFlowing) {
    if (probe?.ok && Math.abs(probe.clockOffsetMs) > s.maxClockSkewMs) {
      return { state: 'degraded', reason: 'clock-skew', detail: `camera clock is ${(probe.clockOffsetMs / 1000).toFixed(1)} s off` };
    }
    if (probe && !probe.ok && probe.failure === 'clock-skew') return { state: 'degraded', reason: 'clock-skew', detail: probe.detail };
    // Video still flows but the camera no longer takes our password: it cannot be managed
    // (snapshots, settings), and the stream will fail at the next reconnect.
    if (probe && !probe.ok && probe.failure === 'unauthorized') return { state: 'degraded', reason: 'unauthorized', detail: probe.detail };
    if (diskLow) return { state: 'degraded', reason: 'disk-low' };
    return { state: 'online', reason: null };
  }
  // No video. Explain it with the most specific evidence we have.
  if (probe && !probe.ok && probe.failure === 'unauthorized') return { state: 'offline', reason: 'unauthorized', detail: probe.detail };
  if (rec.failure === 'unauthorized') return { state: 'offline', reason: 'unauthorized', detail: 'the stream refused the credentials' };
  if (probe && !probe.ok && probe.failure === 'unreachable') return { state: 'offline', reason: 'unreachable', detail: probe.detail };
  if (probe && !probe.ok && probe.failure === 'clock-skew') return { state: 'offline', reason: 'clock-skew', detail: probe.detail };
  if (rec.state === 'recording' && rec.lastFrameAt !== undefined) {
    return { state: 'offline', reason: 'stalled', detail: `no frame for ${((now - rec.lastFrameAt) / 1000).toFixed(1)} s` };
  }
  if (rec.failure === 'unreachable') {
    // ONVIF answers but the stream port does not: the camera is there, its video is not.
    return probe?.ok ? { state: 'offline', reason: 'no-video', detail: 'the RTSP stream refused the connection' } : { state: 'offline', reason: 'unreachable' };
  }
  if (rec.failure === 'no-video') return { state: 'offline', reason: 'no-video' };
  if (now - startedAt < s.startGraceMs) return { state: 'degraded', reason: 'recorder-restarting', detail: 'waiting for the first frames' };
  return { state: 'offline', reason: rec.state === 'restarting' ? 'recorder-restarting' : 'no-video' };
}

/**
 * Holds one camera's current health and emits a change only when the state or reason
 * changes, stamped with when it changed.
 */
export class HealthTracker extends EventEmitter<{ change: [CameraHealth] }> {
  private current: CameraHealth;
  private readonly startedAt: number;

  constructor(private readonly cameraId: string, private readonly clock: Clock, private settings: HealthSettings = DEFAULT_HEALTH) {
    super();
    this.startedAt = clock.now();
    this.current = { cameraId, state: 'degraded', reason: 'recorder-restarting', since: new Date(this.startedAt).toISOString(), detail: 'starting' };
  }

  get health(): CameraHealth { return this.current; }

  reload(settings: HealthSettings): void { this.settings = settings; }

  /** Re-evaluates; returns the new health if it changed. */
  evaluate(rec: RecorderView, probe: ProbeView | undefined, diskLow: boolean): CameraHealth | undefined {
    const now = this.clock.now();
    const a = assessHealth(rec, probe, diskLow, this.startedAt, now, this.settings);
    if (a.state === this.current.state && a.reason === this.current.reason) {
      if (a.detail !== undefined) this.current = { ...this.current, detail: a.detail };
      return undefined;
    }
    this.current = { cameraId: this.cameraId, state: a.state, reason: a.reason, since: new Date(now).toISOString(), ...(a.detail !== undefined ? { detail: a.detail } : {}) };
    this.emit('change', this.current);
    return this.current;
  }
}
