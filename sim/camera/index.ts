// A simulated ONVIF camera: real SOAP over HTTP, WS-Discovery over UDP and H.264 (or, with
// `codec: 'h265'`, H.265) over RTSP (a main stream and a smaller sub-stream), with switches for the
// failures the agent must survive (stream down, frozen, refused, bad password, skewed clock, stream
// addresses with a host nobody reaches).
// With `clock`, both streams are encoded live with the wall-clock time burnt into every frame
// (clock-pattern.ts), for measuring latency from camera to decoded frame.
import { readFile } from 'node:fs/promises';
import type { CameraActions } from './device-service';
import { DiscoveryResponder } from './discovery-responder';
import { DEFAULT_VIDEO, ensureMediaFiles, ensureSnapshot, subStreamVideo } from './media-files';
import { OnvifServer } from './onvif-server';
import { clockMountArg, RtspProcess } from './rtsp-process';
import {
  DEVICE_PATH, httpBase, MEDIA_PATH, newCameraState, rtspUrl, SNAPSHOT_PATH, STREAM_PATH, SUB_SNAPSHOT_PATH, SUB_STREAM_PATH,
  type CameraState, type VideoCodec, type VideoFormat,
} from './state';

export type { CameraState, VideoCodec, VideoFormat } from './state';

/** One SetSynchronizationPoint the camera answered: when, for which profile, and whether a keyframe was asked of its encoder. */
export interface SyncPointRequest { at: number; profileToken: string; keyframe: boolean }

export interface SimulatedCameraOptions {
  name: string;
  username: string;
  password: string;
  /** Address the ONVIF and RTSP servers bind to; default 127.0.0.1. */
  host?: string;
  /** Host written into XAddrs and URIs; default `host` (127.0.0.1 when `host` is a wildcard). */
  advertisedHost?: string;
  /**
   * Host written into GetStreamUri and GetSnapshotUri answers only (default: the advertised
   * host), e.g. 0.0.0.0 or a stale private address, as cameras behind NAT report them.
   */
  reportedHost?: string;
  /** 0 or absent: an ephemeral port, kept across refuse/accept and stream restarts. */
  onvifPort?: number;
  rtspPort?: number;
  /** Answer WS-Discovery probes; `interface` is the local address to join the multicast group on (default 127.0.0.1). */
  discovery?: boolean | { interface?: string; port?: number };
  clockSkewMs?: number;
  location?: string;
  /** The main stream's format; the sub-stream's is derived from it (media-files.ts). */
  video?: VideoFormat;
  /**
   * What both streams' clips are encoded with, and what their media profiles report (Encoding H264
   * or H265). Default h264. An h265 camera serves x265 clips (Main profile, no B-frames, VPS/SPS/PPS
   * before every keyframe); `clock` cameras encode live with x264 and refuse h265.
   */
  codec?: VideoCodec;
  /** Absent: a random one. A fixed one keeps the agent's camera id across restarts (ids derive from it). */
  serialNumber?: string;
  /**
   * Both streams (same formats, same paths) are live instead of looped clips: every frame is painted
   * grey with the wall-clock time (Date.now()-like ms, the host clock, not `clockSkewMs`) burnt into
   * its top-left 256 × 48 px as it is made (clock-pattern.ts: read it back with readClockFromRgba),
   * then encoded at once with x264 (zerolatency, baseline, no B-frames, `gop` and `bitrateKbps` as
   * given, `noise` ignored). The main stream and the derived sub-stream must both be at least
   * 256 × 48 px with whole fps. Default false: pre-encoded clips.
   */
  clock?: boolean;
}

export class SimulatedCamera {
  private rtsp: RtspProcess | undefined;
  private streamWanted = true;
  private accepting = true;
  private frozenFlag = false;
  private stopped = false;
  /** Lifecycle changes run one at a time, so overlapping calls from a test cannot interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Every SetSynchronizationPoint answered, oldest first (tests read it). */
  readonly syncPoints: SyncPointRequest[] = [];

  private constructor(
    readonly state: CameraState,
    private readonly bindHost: string,
    /** Undefined for a clock camera, which encodes live. */
    private clips: { main: string; sub: string } | undefined,
    private readonly onvif: OnvifServer,
    private readonly discovery: DiscoveryResponder | undefined,
  ) {}

  static async start(opts: SimulatedCameraOptions): Promise<SimulatedCamera> {
    const bindHost = opts.host ?? '127.0.0.1';
    const wildcard = bindHost === '0.0.0.0' || bindHost === '::';
    const video = opts.video ?? DEFAULT_VIDEO;
    const codec = opts.codec ?? 'h264';
    checkCodec(codec, opts.clock === true);
    const subVideo = subStreamVideo(video);
    const state = newCameraState({
      name: opts.name, username: opts.username, password: opts.password, codec, video, subVideo,
      advertisedHost: opts.advertisedHost ?? (wildcard ? '127.0.0.1' : bindHost),
      ...(opts.reportedHost !== undefined ? { reportedHost: opts.reportedHost } : {}),
      clockSkewMs: opts.clockSkewMs ?? 0,
      onvifPort: opts.onvifPort ?? 0,
      rtspPort: opts.rtspPort ?? 0,
      ...(opts.location !== undefined ? { location: opts.location } : {}),
      ...(opts.serialNumber !== undefined ? { serialNumber: opts.serialNumber } : {}),
    });
    // All cached across cameras and runs (media-files.ts): only the first camera of a format encodes.
    let clips: { main: string; sub: string } | undefined;
    let snapshots: [string, string];
    if (opts.clock) {
      // Refuse a format the clock cannot be painted into before starting anything.
      clockMountArg(STREAM_PATH, video);
      clockMountArg(SUB_STREAM_PATH, subVideo);
      snapshots = await Promise.all([ensureSnapshot(video), ensureSnapshot(subVideo)]);
    } else {
      const [main, sub] = await Promise.all([ensureMediaFiles(video, undefined, codec), ensureMediaFiles(subVideo, undefined, codec)]);
      clips = { main: main.clip, sub: sub.clip };
      snapshots = [main.snapshot, sub.snapshot];
    }
    // The camera is made after its ONVIF server, which calls back into it for keyframes.
    const actions: CameraActions = { keyframe: () => false };
    const onvif = new OnvifServer({
      bindHost, state, actions,
      snapshots: { [SNAPSHOT_PATH]: await readFile(snapshots[0]), [SUB_SNAPSHOT_PATH]: await readFile(snapshots[1]) },
    });
    const discoveryOpts = typeof opts.discovery === 'object' ? opts.discovery : opts.discovery ? {} : undefined;
    const discovery = discoveryOpts
      ? new DiscoveryResponder({ state, interfaceAddress: discoveryOpts.interface, port: discoveryOpts.port })
      : undefined;
    const cam = new SimulatedCamera(state, bindHost, clips, onvif, discovery);
    actions.keyframe = (path, profileToken) => cam.syncPoint(path, profileToken);
    try {
      await onvif.listen();
      await cam.startRtsp();
      await discovery?.start();
    } catch (err) {
      await cam.stop();
      throw err;
    }
    return cam;
  }

  get name(): string { return this.state.name; }
  get deviceServiceUrl(): string { return `${httpBase(this.state)}${DEVICE_PATH}`; }
  get mediaServiceUrl(): string { return `${httpBase(this.state)}${MEDIA_PATH}`; }
  /** Where the main stream's snapshot and stream are reached (whatever host the camera reports). */
  get snapshotUrl(): string { return `${httpBase(this.state)}${SNAPSHOT_PATH}`; }
  get rtspUrl(): string { return rtspUrl(this.state); }
  /** The sub-stream (profile Profile_2): half the size each way. */
  get subSnapshotUrl(): string { return `${httpBase(this.state)}${SUB_SNAPSHOT_PATH}`; }
  get subRtspUrl(): string { return rtspUrl(this.state, SUB_STREAM_PATH); }
  /** The main stream's address as GetStreamUri reports it (with the reported host, if one is set). */
  get reportedRtspUrl(): string { return rtspUrl(this.state, STREAM_PATH, true); }
  get endpointReference(): string { return this.state.endpointReference; }
  get onvifPort(): number { return this.state.onvifPort; }
  get rtspPort(): number { return this.state.rtspPort; }
  get host(): string { return this.state.advertisedHost; }
  /** Pid of the GStreamer process, while the stream is up. */
  get rtspPid(): number | undefined { return this.rtsp?.running ? this.rtsp.pid : undefined; }
  get frozen(): boolean { return this.frozenFlag; }
  /** What both streams are encoded with (`codec` option). */
  get codec(): VideoCodec { return this.state.codec; }
  /** Whether the streams are live clock streams (`clock` option) rather than looped clips. */
  get clock(): boolean { return this.clips === undefined; }

  /**
   * SetSynchronizationPoint: a clock stream's encoder makes its next frame an IDR (with SPS and PPS),
   * sent to every client of that stream; a looped clip cannot, and the caller answers with a fault.
   */
  private syncPoint(rtspPath: string, profileToken: string): boolean {
    const keyframe = this.clock && this.rtsp?.running === true;
    this.syncPoints.push({ at: Date.now(), profileToken, keyframe });
    if (keyframe) void this.rtsp!.command(`keyframe ${rtspPath}` as `keyframe /${string}`).catch(() => undefined);
    return this.clock;
  }

  /**
   * Switches both streams to `codec`, as an installer changing the camera's encoder does: the media
   * profiles report it from now on (same tokens, same addresses) and a running RTSP server restarts
   * on its port with clips of that codec, disconnecting its clients. A clock camera refuses h265.
   */
  setCodec(codec: VideoCodec): Promise<void> {
    return this.serial(async () => {
      checkCodec(codec, this.clock);
      if (this.clock || codec === this.state.codec) return;
      const { video, subVideo } = this.state;
      const [main, sub] = await Promise.all([ensureMediaFiles(video, undefined, codec), ensureMediaFiles(subVideo, undefined, codec)]);
      this.clips = { main: main.clip, sub: sub.clip };
      this.state.codec = codec;
      if (this.rtsp?.running) {
        await this.stopRtsp();
        await this.startRtsp();
      }
    });
  }

  /** Kills the RTSP server: clients are disconnected and the port refuses connections. */
  stopStream(): Promise<void> {
    return this.serial(async () => {
      this.streamWanted = false;
      await this.stopRtsp();
    });
  }

  startStream(): Promise<void> {
    return this.serial(async () => {
      this.streamWanted = true;
      if (this.accepting) await this.startRtsp();
    });
  }

  /** Stops sending frames while RTSP sessions stay open, like a hung encoder. */
  freeze(): Promise<void> {
    return this.serial(async () => {
      this.frozenFlag = true;
      await this.rtsp?.command('freeze');
    });
  }

  unfreeze(): Promise<void> {
    return this.serial(async () => {
      this.frozenFlag = false;
      await this.rtsp?.command('unfreeze');
    });
  }

  /** ONVIF and RTSP ports refuse TCP connections and open connections are dropped. Discovery still answers. */
  refuseConnections(): Promise<void> {
    return this.serial(async () => {
      this.accepting = false;
      await Promise.all([this.onvif.close(), this.stopRtsp()]);
    });
  }

  acceptConnections(): Promise<void> {
    return this.serial(async () => {
      this.accepting = true;
      await this.onvif.listen();
      if (this.streamWanted) await this.startRtsp();
    });
  }

  setPassword(password: string): void {
    this.state.password = password;
  }

  /** Sets the camera clock to run `ms` ahead of (or, if negative, behind) the host clock. */
  skewClock(ms: number): void {
    this.state.clockSkewMs = ms;
  }

  /** Stops everything; safe to call more than once. */
  stop(): Promise<void> {
    return this.serial(async () => {
      this.stopped = true;
      await Promise.allSettled([this.onvif.close(), this.stopRtsp(), this.discovery?.stop()]);
    });
  }

  private async startRtsp(): Promise<void> {
    if (this.stopped || this.rtsp?.running) return;
    const { video, subVideo } = this.state;
    const streams = this.clips
      ? { clip: this.clips.main, mounts: [{ path: SUB_STREAM_PATH, clip: this.clips.sub }], codec: this.state.codec }
      : { clockMounts: [{ path: STREAM_PATH, video }, { path: SUB_STREAM_PATH, video: subVideo }] };
    this.rtsp = await RtspProcess.start({
      host: this.bindHost, port: this.state.rtspPort, fps: video.fps, path: STREAM_PATH, ...streams, frozen: this.frozenFlag,
    });
    this.state.rtspPort = this.rtsp.port;
  }

  private async stopRtsp(): Promise<void> {
    const rtsp = this.rtsp;
    this.rtsp = undefined;
    await rtsp?.stop();
  }

  private serial(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function checkCodec(codec: VideoCodec, clock: boolean): void {
  if (codec !== 'h264' && codec !== 'h265') throw new RangeError(`a simulated camera's codec is h264 or h265, got ${String(codec)}`);
  if (clock && codec !== 'h264') throw new RangeError(`a clock camera encodes live with x264 and cannot stream ${codec}: leave out codec or clock`);
}
