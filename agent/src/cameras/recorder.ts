import { EventEmitter } from 'node:events';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ffmpegArgs, recorderCommand, redactArgs, redactUrl, withCredentials } from './ffmpeg-args';
import { classifyExit, exitDetail, type ExitReason, type ProgressReport, type SegmentLine } from './ffmpeg-output';
import { FfmpegProcess, type FfmpegExit } from './ffmpeg-process';
import { reconcileCamera } from './reconcile';
import type { SegmentIndex } from './segment-index';
import { assertCameraId, dayDirPath, dayOf, segmentNameTime, segmentPattern, segmentRelPath } from './segment-paths';
import { systemClock, type Clock, type Segment } from './types';
import { WriteActivityMonitor } from './write-activity';

export interface RecorderCamera {
  id: string;
  /** RTSP URL as the camera gave it, without credentials. */
  streamUri: string;
  username?: string;
  password?: string;
}

export interface RecorderSettings {
  camera: RecorderCamera;
  /** Default 60. */
  segmentSeconds?: number;
}

/** Knobs with production defaults; tests shorten them. */
export interface RecorderTuning {
  ffmpegPath: string;
  /** Restart delays, the last repeating: go2rtc's 1 s, 5 s, 10 s … 60 s. */
  backoffMs: number[];
  /** A run that delivered frames this long resets the backoff. */
  healthyAfterMs: number;
  /** No new frame for this long: ffmpeg is stopped and restarted (its socket timeout does not fire while RTCP still flows). */
  stallTimeoutMs: number;
  /** Connecting and the first frame may take this long. */
  firstFrameTimeoutMs: number;
  ioTimeoutSeconds: number;
  /** SIGINT first, SIGKILL after this. */
  stopGraceMs: number;
}

export const DEFAULT_TUNING: RecorderTuning = {
  ffmpegPath: 'ffmpeg', backoffMs: [1000, 5000, 10_000, 20_000, 40_000, 60_000], healthyAfterMs: 60_000,
  stallTimeoutMs: 5000, firstFrameTimeoutMs: 15_000, ioTimeoutSeconds: 5, stopGraceMs: 5000,
};

const STALL_GRACE_MS = 1000;

export type RecorderStateName = 'starting' | 'recording' | 'restarting' | 'stopped';
export interface RecorderStateEvent { state: RecorderStateName; reason?: ExitReason; detail?: string; retryInMs?: number }
export interface RecorderProgress { frames: number; lastFrameAt: number }

export interface RecorderOptions extends RecorderSettings {
  /** Recordings root; segments go under `<root>/<cameraId>/`. */
  root: string;
  index: Pick<SegmentIndex, 'add' | 'remove' | 'all' | 'cameras'>;
  log: Logger;
  clock?: Clock;
  tuning?: Partial<RecorderTuning>;
  /**
   * Watches ffmpeg's writes to tell that video still arrives; shared by a site's recorders.
   * Default: one of its own where the system supports it, else ffmpeg's progress reports.
   */
  activity?: WriteActivityMonitor | null;
}

/**
 * ffmpeg's progress report period. With the write monitor, reports only anchor stream time
 * to wall time (and count frames), so one every 15 s is plenty; without it they are the only
 * sign of video, so one a second.
 */
export function reportPeriodSeconds(watchingWrites: boolean): number {
  return watchingWrites ? 15 : 1;
}

/**
 * Records one camera continuously: one ffmpeg copying RTSP into fMP4 segments, every finished
 * segment indexed, restarted with backoff whenever it exits. Shaped like the other long-running
 * parts (DESIGN.md §2): start() runs one loop, stop() resolves when ffmpeg is gone, reload() applies
 * new settings by restarting ffmpeg. The clock stamps frames and segments; waits use real timers
 * because they pace a real ffmpeg.
 */
export class Recorder extends EventEmitter<{ state: [RecorderStateEvent]; segment: [Segment]; progress: [RecorderProgress] }> {
  state: RecorderStateName = 'stopped';
  failure: ExitReason | undefined;
  lastFrameAt: number | undefined;
  /** Frames received by the current ffmpeg. */
  frames = 0;
  private settings: RecorderSettings;
  private readonly tuning: RecorderTuning;
  private readonly clock: Clock;
  private readonly log: Logger;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private reloadPending = false;
  private wake: (() => void) | undefined;
  /** Segment lines are handled in order, and all of them before salvage looks for unindexed files. */
  private segmentWork: Promise<void> = Promise.resolve();
  /** Where the last segment of the current ffmpeg run ended (ms), so the next one starts there. */
  private runEndMs: number | undefined;
  private current: FfmpegProcess | undefined;
  private readonly activity: WriteActivityMonitor | undefined;

  constructor(private readonly opts: RecorderOptions) {
    super();
    assertCameraId(opts.camera.id);
    this.settings = { camera: opts.camera, segmentSeconds: opts.segmentSeconds };
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log.child({ component: 'recorder', cameraId: opts.camera.id });
    this.activity = opts.activity === null ? undefined : opts.activity ?? (WriteActivityMonitor.supported ? new WriteActivityMonitor(undefined, this.clock) : undefined);
  }

  get cameraId(): string { return this.opts.camera.id; }
  /** The running ffmpeg's pid, for operators' diagnostics and fault-injection tests. */
  get ffmpegPid(): number | undefined { return this.current?.running ? this.current.pid : undefined; }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal).catch((err: unknown) => this.log.error({ err }, 'recorder loop failed'));
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    this.setState({ state: 'stopped' });
  }

  /** New URL, credentials or segment length: ffmpeg restarts with them, without backoff. */
  reload(settings: RecorderSettings): void {
    if (settings.camera.id !== this.cameraId) throw new Error('a recorder cannot change camera; make a new one');
    this.settings = settings;
    this.reloadPending = true;
    this.wake?.();
  }

  private async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
    while (!signal.aborted) {
      this.reloadPending = false;
      const run = await this.runOnce(signal);
      if (signal.aborted) break;
      if (this.reloadPending) { attempt = 0; continue; }
      if (run.healthy) attempt = 0;
      const delay = this.tuning.backoffMs[Math.min(attempt, this.tuning.backoffMs.length - 1)] ?? 1000;
      attempt++;
      this.failure = run.reason;
      this.setState({ state: 'restarting', reason: run.reason, detail: run.detail, retryInMs: delay });
      await Promise.race([this.wakeable(signal), new Promise<void>((resolve) => { timer = setTimeout(resolve, delay); })]);
      clearTimeout(timer);
    }
  }

  /** One ffmpeg from spawn to exit, then its unlisted last file salvaged. */
  private async runOnce(signal: AbortSignal): Promise<{ reason: ExitReason; detail: string; healthy: boolean }> {
    const woken = this.wakeable(signal);
    const { camera } = this.settings;
    const segmentSeconds = Math.min(Math.max(this.settings.segmentSeconds ?? 60, 1), 3600);
    const startedAt = this.clock.now();
    this.runEndMs = undefined;
    await this.prepareDayDirs(startedAt);
    if (signal.aborted || this.reloadPending) return { reason: 'exited', detail: 'not started', healthy: true };
    const options = {
      url: withCredentials(camera.streamUri, camera.username, camera.password),
      outputPattern: segmentPattern(this.opts.root, camera.id), segmentSeconds, ioTimeoutSeconds: this.tuning.ioTimeoutSeconds,
      statsPeriodSeconds: reportPeriodSeconds(this.activity !== undefined),
    };
    this.frames = 0;
    /**
     * Wall time of stream time 0, as bounded since the last segment closed. Each report (`now −
     * out_time`) and each closed segment (`now − end`: the line comes as the next segment's first
     * packet is written) bounds it from above, since nothing is written before it arrives; the
     * lowest bound is nearest the truth. The first report alone is late by ffmpeg's probing, a
     * second or more; bounds are taken afresh per segment so a drifting camera clock is followed.
     */
    let anchor: number | undefined;
    let lastAnchor: number | undefined;
    let firstFrameAt: number | undefined;
    let stalled = false;
    this.setState({ state: 'starting' });
    this.log.debug({ args: redactArgs(ffmpegArgs(options)) }, 'starting ffmpeg');
    const ff = new FfmpegProcess(this.tuning.ffmpegPath, recorderCommand(options), this.log);
    this.current = ff;
    let stopWatching: (() => void) | undefined;
    /** Video arrived at `now`: a progress report with new frames, or a write seen by the monitor. */
    const sawVideo = (now: number): void => {
      this.lastFrameAt = now;
      const first = firstFrameAt === undefined;
      firstFrameAt ??= now;
      if (this.state !== 'recording') { this.failure = undefined; this.setState({ state: 'recording' }); }
      this.emit('progress', { frames: this.frames, lastFrameAt: now });
      // The first frame moves the watchdog from the start-up limit to the stall limit.
      if (first) armWatchdog();
    };
    ff.on('progress', (p: ProgressReport) => {
      // ffmpeg reports first once the file header is written, so from here on its writes are video.
      if (this.activity && !stopWatching && ff.pid !== undefined) stopWatching = this.activity.watch(ff.pid, sawVideo);
      if (p.frames <= this.frames) return;
      const now = this.clock.now();
      this.frames = p.frames;
      if (p.outTimeUs !== undefined) anchor = Math.min(anchor ?? Infinity, now - p.outTimeUs / 1000);
      sawVideo(now);
    });
    ff.on('segment', (line: SegmentLine) => {
      const now = this.clock.now();
      // A line written at exit, long after the last video (a stall, a timeout), bounds nothing.
      const writing = this.lastFrameAt !== undefined && now - this.lastFrameAt <= 1000;
      const bound = Math.min(anchor ?? Infinity, writing ? now - line.end * 1000 : Infinity);
      const at = Number.isFinite(bound) ? bound : lastAnchor;
      lastAnchor = at;
      anchor = undefined;
      this.segmentWork = this.segmentWork.then(() => this.finishSegment(line, at)).catch((err: unknown) => this.log.error({ err, name: line.name }, 'could not index a segment'));
    });
    // A deadline, not a tick: it is set for the last frame plus the limit and, when it fires
    // and frames came meanwhile, set again from the newest one. Frames themselves touch no timer.
    let watchdog: NodeJS.Timeout | undefined;
    const silence = () => firstFrameAt === undefined
      ? { since: startedAt, limit: this.tuning.firstFrameTimeoutMs }
      : { since: this.lastFrameAt ?? startedAt, limit: this.tuning.stallTimeoutMs };
    const armWatchdog = (): void => {
      clearTimeout(watchdog);
      const { since, limit } = silence();
      watchdog = setTimeout(() => {
        const { since, limit } = silence();
        const silentFor = this.clock.now() - since;
        if (silentFor <= limit) return armWatchdog();
        if (!ff.running || stalled) return;
        stalled = true;
        this.log.warn({ silentMs: silentFor }, 'no video from ffmpeg; restarting it');
        // A frozen session does not answer TEARDOWN, so SIGINT can hang for the socket timeout; the file is salvaged either way.
        void ff.stop(Math.min(this.tuning.stopGraceMs, STALL_GRACE_MS));
      }, Math.max(0, since + limit - this.clock.now()) + 1);
    };
    armWatchdog();
    await Promise.race([ff.exited, woken]);
    clearTimeout(watchdog);
    stopWatching?.();
    // A last report while ffmpeg writes its trailer must not start a new watch.
    stopWatching = () => undefined;
    const exit: FfmpegExit = await ff.stop(this.tuning.stopGraceMs);
    await this.segmentWork;
    await this.salvage(startedAt);
    const healthy = firstFrameAt !== undefined && (this.lastFrameAt ?? 0) - firstFrameAt >= this.tuning.healthyAfterMs;
    const reason: ExitReason = stalled ? 'no-video' : classifyExit(exit.stderrTail, firstFrameAt !== undefined);
    const detail = stalled ? `no frame for ${this.tuning.stallTimeoutMs} ms` : exitDetail(exit.stderrTail, exit.code, exit.signal);
    if (!signal.aborted && !this.reloadPending) this.log.warn({ reason, detail, code: exit.code, signal: exit.signal, url: redactUrl(camera.streamUri) }, 'ffmpeg exited');
    return { reason, detail, healthy };
  }

  private async finishSegment(line: SegmentLine, anchor: number | undefined): Promise<void> {
    const rel = segmentRelPath(this.cameraId, line.name);
    const named = segmentNameTime(line.name);
    if (rel === undefined || named === undefined) { this.log.warn({ name: line.name }, 'ffmpeg reported a segment with an unexpected name'); return; }
    const info = await stat(join(this.opts.root, rel)).catch(() => undefined);
    if (!info) { this.log.warn({ path: rel }, 'finished segment is missing on disk'); return; }
    // The file name only has seconds; the run's stream-time anchor has milliseconds.
    let start = Math.round(anchor !== undefined ? anchor + line.start * 1000 : named);
    const duration = Math.round((line.end - line.start) * 1000);
    // One run's segments follow each other in stream time, but each is anchored afresh, so a
    // start can land a few ms before the previous end; overlapping index entries would make a
    // legal hold on one segment keep its neighbour. Such a segment moves to where the last ended.
    if (this.runEndMs !== undefined && start < this.runEndMs) start = this.runEndMs;
    const end = start + duration;
    this.runEndMs = end;
    const seg: Segment = {
      cameraId: this.cameraId, path: rel, bytes: info.size,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
    };
    await this.opts.index.add(seg);
    await this.prepareDayDirs(this.clock.now());
    this.emit('segment', seg);
  }

  /** After a crash the file being written was never listed; index it now rather than at the next agent start. */
  private async salvage(since: number): Promise<void> {
    try {
      const days = [...new Set([dayOf(since), dayOf(this.clock.now())])];
      const s = await reconcileCamera(this.opts.root, this.cameraId, this.opts.index, this.log, { days });
      for (const seg of s.added) this.emit('segment', seg);
    } catch (err) {
      this.log.error({ err }, 'could not salvage recordings after ffmpeg exited');
    }
  }

  /** The segment muxer does not create folders: today's and tomorrow's must exist before midnight. */
  private async prepareDayDirs(now: number): Promise<void> {
    await Promise.all([now, now + 86_400_000].map((t) => mkdir(dayDirPath(this.opts.root, this.cameraId, t), { recursive: true })));
  }

  /** Resolves on stop() or reload(), whichever comes first. */
  private wakeable(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      // stop() aborts, then wakes: an abort before this point is seen here, one after it through wake.
      if (signal.aborted) { resolve(); return; }
      this.wake = resolve;
    });
  }

  private setState(ev: RecorderStateEvent): void {
    this.state = ev.state;
    if (ev.state === 'restarting') this.log.warn({ reason: ev.reason, detail: ev.detail, retryInMs: ev.retryInMs }, 'recorder restarting');
    else this.log.info({ state: ev.state }, 'recorder state');
    this.emit('state', ev);
  }
}
