import type { MediaArgs } from '@sargs/shared';
import { redactArgs, withCredentials } from '../cameras/ffmpeg-args';
import { classifyExit, exitDetail } from '../cameras/ffmpeg-output';
import type { CameraRecord } from '../cameras/types';
import { liveArgs, LiveFfmpeg, type LiveExit } from './live-ffmpeg';
import { LiveFragmenter } from './live-fragmenter';
import { LiveSender } from './live-sender';
import { MediaError, type MediaReply } from './media-link';
import type { AgentVideoDeps } from './video-deps';

/** Knobs with production defaults; tests shorten them. */
export interface LiveTuning {
  ffmpegPath: string;
  /** Connecting, probing and the first keyframe may take this long. */
  firstFrameTimeoutMs: number;
  /** No fragment for this long once video flowed: the camera froze (ffmpeg's own timeout does not fire while RTCP flows). */
  stallTimeoutMs: number;
  ioTimeoutSeconds: number;
}

export const DEFAULT_LIVE_TUNING: LiveTuning = { ffmpegPath: 'ffmpeg', firstFrameTimeoutMs: 15_000, stallTimeoutMs: 5000, ioTimeoutSeconds: 5 };

/** The profile a live call shows: `sub` is the camera's smallest H.264 one when it has an address, else the recorded one. */
export function liveStream(rec: CameraRecord, stream: 'main' | 'sub'): { uri: string; profileToken: string; hevc: boolean } {
  const profile = rec.profiles.find((p) => p.token === (stream === 'sub' ? rec.subProfileToken : rec.mainProfileToken));
  if (stream === 'sub' && profile?.streamUri) return { uri: profile.streamUri, profileToken: profile.token, hevc: profile.encoding === 'H265' };
  const main = rec.profiles.find((p) => p.token === rec.mainProfileToken);
  return { uri: rec.streamUri, profileToken: rec.mainProfileToken, hevc: main?.encoding === 'H265' };
}

/**
 * The media op `live`: one ffmpeg per call opens its own RTSP session to the camera (the
 * recorder's is never touched) and its fMP4 goes to the hub one frame per packet. The call runs
 * until the hub cancels it; if ffmpeg stops by itself (the camera went away, its video froze),
 * the call fails with `camera-offline` and the hub decides whether to try again.
 */
export function registerLive(deps: AgentVideoDeps, tuning: Partial<LiveTuning> = {}): void {
  const t = { ...DEFAULT_LIVE_TUNING, ...tuning };
  deps.media.handle('live', (args, reply, signal) => serveLive(deps, t, args, reply, signal));
}

async function serveLive(deps: AgentVideoDeps, t: LiveTuning, args: MediaArgs<'live'>, reply: MediaReply<'live'>, signal: AbortSignal): Promise<void> {
  const rt = deps.cameras.runtime(args.cameraId);
  const creds = deps.cameras.streamCredentials(args.cameraId);
  if (!rt || !creds) throw new MediaError('not-found', `no camera "${args.cameraId}" at this site`);
  if (signal.aborted) return;
  const { uri, profileToken, hevc } = liveStream(rt.record, args.stream);
  const log = deps.log.child({ component: 'live', cameraId: args.cameraId, stream: args.stream });
  const ffArgs = liveArgs(withCredentials(uri, creds.username, creds.password), { ioTimeoutSeconds: t.ioTimeoutSeconds, hevc });
  log.debug({ args: redactArgs(ffArgs) }, 'starting live ffmpeg');

  const fragmenter = new LiveFragmenter();
  const sender = new LiveSender(reply, profileToken);
  const startedAt = Date.now();
  let lastFrameAt: number | undefined;
  let broken: string | undefined;
  let stalled = false;
  const ff = new LiveFfmpeg(t.ffmpegPath, ffArgs, (chunk) => {
    if (broken !== undefined) return;
    try {
      for (const c of fragmenter.push(chunk)) {
        if (c.kind === 'fragment') lastFrameAt = Date.now();
        sender.send(c);
      }
    } catch (err) {
      broken = (err as Error).message;
      void ff.stop();
    }
  });
  // A deadline checked once a second: frames themselves touch no timer.
  const watchdog = setInterval(() => {
    const limit = lastFrameAt === undefined ? t.firstFrameTimeoutMs : t.stallTimeoutMs;
    if (Date.now() - (lastFrameAt ?? startedAt) <= limit || stalled) return;
    stalled = true;
    void ff.stop(1000);
  }, Math.min(1000, t.stallTimeoutMs / 2));
  const stop = () => void ff.stop();
  signal.addEventListener('abort', stop, { once: true });
  let exit: LiveExit;
  try {
    exit = await ff.exited;
  } finally {
    clearInterval(watchdog);
    signal.removeEventListener('abort', stop);
  }
  const summary = { sent: sender.sent, dropped: sender.dropped, seconds: Math.round((Date.now() - startedAt) / 1000) };
  if (signal.aborted) { log.debug(summary, 'live view ended'); return; }
  if (broken !== undefined) {
    log.warn({ ...summary, err: broken }, 'live stream unusable');
    throw new MediaError('unsupported', `the camera's stream cannot be shown live: ${broken}`);
  }
  const detail = stalled
    ? `no video from the camera for ${Math.round((lastFrameAt === undefined ? t.firstFrameTimeoutMs : t.stallTimeoutMs) / 1000)} s`
    : `${classifyExit(exit.stderrTail, lastFrameAt !== undefined)}: ${exitDetail(exit.stderrTail, exit.code, exit.signal)}`;
  log.warn({ ...summary, detail }, 'live stream stopped');
  throw new MediaError('camera-offline', detail);
}
