import type { MediaArgs } from '@sargs/shared';
import type { Logger } from 'pino';
import { redactArgs, withCredentials } from '../cameras/ffmpeg-args';
import { classifyExit, exitDetail } from '../cameras/ffmpeg-output';
import type { CameraRecord } from '../cameras/types';
import { liveArgs, LiveFfmpeg, liveInputOptions, type LiveExit, type LiveProbe } from './live-ffmpeg';
import { LiveFragmenter } from './live-fragmenter';
import { FirstKeyframe, KeyframeRequests } from './live-keyframe';
import { LivePool } from './live-pool';
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
 * recorder's is never touched) and its fMP4 goes to the hub one frame per packet. The camera is
 * asked for a keyframe as soon as the session plays (ONVIF SetSynchronizationPoint, best effort), so
 * the view need not wait out its GOP. The call runs until the hub cancels it; if ffmpeg stops by
 * itself (the camera went away, its video froze), the call fails with `camera-offline` and the hub
 * decides whether to try again.
 */
export function registerLive(deps: AgentVideoDeps, tuning: Partial<LiveTuning> = {}, keyframes = new KeyframeRequests()): LivePool {
  const t = { ...DEFAULT_LIVE_TUNING, ...tuning };
  // Camera profiles whose first packet did not tell ffmpeg the picture size (no parameter sets in
  // the SDP): probed for a keyframe from then on, for as long as the agent runs.
  const needsKeyframeProbe = new Set<string>();
  const pool = new LivePool(t.ffmpegPath, () => deps.media.connected);
  deps.media.handle('live', (args, reply, signal) => serveLive({ deps, t, keyframes, needsKeyframeProbe, pool }, args, reply, signal));
  deps.media.onStop(() => pool.stop());
  return pool;
}

interface LiveContext { deps: AgentVideoDeps; t: LiveTuning; keyframes: KeyframeRequests; needsKeyframeProbe: Set<string>; pool: LivePool }

/** What ffmpeg says when its first packet left the picture size unknown: only a keyframe probe will do. */
const SIZE_UNKNOWN = /dimensions not set|unspecified size|Could not find codec parameters/i;

async function serveLive(ctx: LiveContext, args: MediaArgs<'live'>, reply: MediaReply<'live'>, signal: AbortSignal): Promise<void> {
  const { deps, t, keyframes, needsKeyframeProbe } = ctx;
  const rt = deps.cameras.runtime(args.cameraId);
  const creds = deps.cameras.streamCredentials(args.cameraId);
  if (!rt || !creds) throw new MediaError('not-found', `no camera "${args.cameraId}" at this site`);
  if (signal.aborted) return;
  const { uri, profileToken, hevc } = liveStream(rt.record, args.stream);
  const log = deps.log.child({ component: 'live', cameraId: args.cameraId, stream: args.stream });
  const probeKey = `${args.cameraId}\n${profileToken}`;
  const askForKeyframe = () => {
    const probe = rt.probe;
    keyframes.request({
      cameraId: args.cameraId, deviceUrl: rt.record.deviceUrl, username: creds.username, password: creds.password, profileToken,
      ...(probe?.ok ? { clockOffsetMs: probe.clockOffsetMs } : {}),
    }, log);
  };
  const sender = new LiveSender(reply, profileToken);
  const startedAt = Date.now();
  for (;;) {
    const probe: LiveProbe = needsKeyframeProbe.has(probeKey) ? 'keyframe' : 'first-packet';
    const url = withCredentials(uri, creds.username, creds.password);
    const o = { ioTimeoutSeconds: t.ioTimeoutSeconds, hevc, probe };
    // A parked ffmpeg speaks H.264 with a first-packet probe, to an rtsp(s) address.
    const parkable = !hevc && probe === 'first-packet' && /^rtsps?:\/\//i.test(url);
    const start: StartFfmpeg = (onData) => {
      const parked = parkable ? ctx.pool.take(url, liveInputOptions(o), onData) : undefined;
      const args = liveArgs(url, o);
      log.debug({ args: redactArgs(args), parked: parked !== undefined }, 'starting live ffmpeg');
      return parked ?? new LiveFfmpeg(t.ffmpegPath, args, onData);
    };
    const run = await runFfmpeg(t, start, probe, sender, askForKeyframe, signal, log);
    const summary = { sent: sender.sent, dropped: sender.dropped, seconds: Math.round((Date.now() - startedAt) / 1000) };
    if (signal.aborted) { log.debug(summary, 'live view ended'); return; }
    if (probe === 'first-packet' && !run.gotInit && run.broken === undefined && !run.stalled && SIZE_UNKNOWN.test(run.exit.stderrTail.join('\n'))) {
      // At once and for good: this camera's SDP has no parameter sets.
      needsKeyframeProbe.add(probeKey);
      log.info({ detail: exitDetail(run.exit.stderrTail, run.exit.code, run.exit.signal) }, 'the stream\'s first packet does not give its picture size; probing for a keyframe');
      continue;
    }
    if (run.broken !== undefined) {
      log.warn({ ...summary, err: run.broken }, 'live stream unusable');
      throw new MediaError('unsupported', `the camera's stream cannot be shown live: ${run.broken}`);
    }
    const detail = run.stalled
      ? `no video from the camera for ${Math.round((run.lastFrameAt === undefined ? t.firstFrameTimeoutMs : t.stallTimeoutMs) / 1000)} s`
      : `${classifyExit(run.exit.stderrTail, run.lastFrameAt !== undefined)}: ${exitDetail(run.exit.stderrTail, run.exit.code, run.exit.signal)}`;
    log.warn({ ...summary, detail }, 'live stream stopped');
    throw new MediaError('camera-offline', detail);
  }
}

interface FfmpegRun { exit: LiveExit; gotInit: boolean; lastFrameAt: number | undefined; broken: string | undefined; stalled: boolean }

type StartFfmpeg = (onData: (chunk: Buffer) => void) => LiveFfmpeg;

/** One live ffmpeg from start to exit: its chunks to the sender, keyframe requests while none has come, the watchdog. */
async function runFfmpeg(
  t: LiveTuning, start: StartFfmpeg, probe: LiveProbe, sender: LiveSender, askForKeyframe: () => void, signal: AbortSignal, log: Logger,
): Promise<FfmpegRun> {
  const fragmenter = new LiveFragmenter();
  const firstKey = new FirstKeyframe(askForKeyframe);
  const startedAt = Date.now();
  let gotInit = false;
  let lastFrameAt: number | undefined;
  let broken: string | undefined;
  let stalled = false;
  const ff = start((chunk) => {
    if (broken !== undefined) return;
    try {
      for (const c of fragmenter.push(chunk)) {
        if (c.kind === 'init') {
          // With a first-packet probe the init comes with the session's first packet: it plays.
          if (!gotInit) log.debug({ ms: Date.now() - startedAt }, 'live init');
          gotInit = true;
          firstKey.playing();
        } else {
          if (lastFrameAt === undefined) log.debug({ ms: Date.now() - startedAt, keyframe: c.keyframe }, 'live first fragment');
          lastFrameAt = Date.now();
          if (c.keyframe) firstKey.stop();
        }
        sender.send(c);
      }
    } catch (err) {
      broken = (err as Error).message;
      void ff.stop();
    }
  });
  // A keyframe probe writes nothing before it has a keyframe: ask once the session is likely to play.
  if (probe === 'keyframe') firstKey.askAfter(KEYFRAME_PROBE_ASK_MS);
  // A deadline checked once a second: frames themselves touch no timer.
  const watchdog = setInterval(() => {
    const limit = lastFrameAt === undefined ? t.firstFrameTimeoutMs : t.stallTimeoutMs;
    if (Date.now() - (lastFrameAt ?? startedAt) <= limit || stalled) return;
    stalled = true;
    void ff.stop(1000);
  }, Math.min(1000, t.stallTimeoutMs / 2));
  const stop = () => void ff.stop();
  signal.addEventListener('abort', stop, { once: true });
  try {
    const exit = await ff.exited;
    return { exit, gotInit, lastFrameAt, broken, stalled };
  } finally {
    firstKey.stop();
    clearInterval(watchdog);
    signal.removeEventListener('abort', stop);
  }
}

/** ffmpeg starts in ~0.2 s and the RTSP handshake takes a few round trips: by then the session plays. */
const KEYFRAME_PROBE_ASK_MS = 400;
