import type { Logger } from 'pino';
import { requestSynchronizationPoint, type SynchronizationPointOptions } from '../cameras/onvif-client';

/** What a keyframe request needs to reach a camera. */
export interface KeyframeTarget {
  cameraId: string;
  deviceUrl: string;
  username: string;
  password: string;
  profileToken: string;
  /** From the camera's last probe, when it succeeded. */
  clockOffsetMs?: number;
}

export type SyncPointSender = (opts: SynchronizationPointOptions) => Promise<{ mediaPath: string }>;

/** Per ONVIF call: a camera that takes longer has let the moment pass anyway. */
export const KEYFRAME_TIMEOUT_MS = 2000;
/** At most one request a second per camera profile, however many live calls start. */
export const KEYFRAME_MIN_INTERVAL_MS = 1000;

/**
 * Asks cameras for a keyframe (ONVIF SetSynchronizationPoint) when a live view starts, so a new
 * stream need not wait out the camera's GOP. Best effort: a request is never awaited by the live
 * call, a refusal or a timeout is logged at debug and changes nothing. One request a second per
 * camera profile at most; the media service's address is remembered per camera, so a request is
 * one SOAP call when the camera's clock offset is known.
 */
export class KeyframeRequests {
  private readonly lastAt = new Map<string, number>();
  private readonly mediaPaths = new Map<string, string>();

  constructor(
    private readonly send: SyncPointSender = requestSynchronizationPoint,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sends a request unless one went to this profile less than a second ago; false when skipped. */
  request(t: KeyframeTarget, log: Logger): boolean {
    const key = `${t.cameraId}\n${t.profileToken}`;
    const at = this.now();
    const last = this.lastAt.get(key);
    if (last !== undefined && at - last < KEYFRAME_MIN_INTERVAL_MS) return false;
    this.lastAt.set(key, at);
    if (this.lastAt.size > 1000) this.prune(at);
    const mediaPath = this.mediaPaths.get(t.cameraId);
    void this.send({
      url: t.deviceUrl, username: t.username, password: t.password, profileToken: t.profileToken, timeoutMs: KEYFRAME_TIMEOUT_MS,
      ...(t.clockOffsetMs !== undefined ? { clockOffsetMs: t.clockOffsetMs } : {}),
      ...(mediaPath ? { mediaPath } : {}),
    }).then(
      (r) => {
        if (r.mediaPath) this.mediaPaths.set(t.cameraId, r.mediaPath);
        log.debug({ profileToken: t.profileToken, ms: this.now() - at }, 'camera asked for a keyframe');
      },
      (err: unknown) => {
        // The address may have changed (a firmware update, a re-add): look it up again next time.
        this.mediaPaths.delete(t.cameraId);
        log.debug({ profileToken: t.profileToken, ms: this.now() - at, err: (err as Error).message }, 'camera did not take a keyframe request');
      },
    );
    return true;
  }

  private prune(now: number): void {
    for (const [k, at] of this.lastAt) if (now - at >= KEYFRAME_MIN_INTERVAL_MS) this.lastAt.delete(k);
  }
}

/** After the first request, one more this long after it if no keyframe has come (just over the rate limit). */
export const KEYFRAME_RETRY_MS = 1100;

/**
 * The keyframe requests of one live ffmpeg: one as soon as its RTSP session plays (the camera sends
 * a new keyframe to the sessions playing when it is made, so asking earlier is wasted), one more a
 * little over a second later if none has come, then nothing: the camera's own GOP follows anyway.
 */
export class FirstKeyframe {
  private timer: NodeJS.Timeout | undefined;
  private asked = 0;
  private done = false;

  constructor(private readonly ask: () => void) {}

  /** The session plays: ask now (once). */
  playing(): void {
    if (this.asked === 0 && !this.done) this.fire();
  }

  /** When nothing tells that the session plays (ffmpeg probes for a keyframe before it writes anything): ask after `ms`. */
  askAfter(ms: number): void {
    if (this.asked === 0 && !this.done && !this.timer) this.timer = setTimeout(() => this.fire(), ms);
  }

  /** A keyframe came (or the ffmpeg ended): no more requests. */
  stop(): void {
    this.done = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.done) return;
    this.asked++;
    this.ask();
    if (this.asked < 2) this.timer = setTimeout(() => this.fire(), KEYFRAME_RETRY_MS);
  }
}
