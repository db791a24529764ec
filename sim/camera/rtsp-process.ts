// Runs rtsp_server.py (GStreamer RTSP server) as a child process and talks to it over stdio.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CLOCK_HEIGHT, CLOCK_WIDTH } from './clock-pattern';
import type { VideoCodec, VideoFormat } from './state';

// Debian's interpreter: the GStreamer GObject bindings are installed for it, not for a pyenv python.
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'rtsp_server.py');
const READY_TIMEOUT_MS = 20_000;
const COMMAND_TIMEOUT_MS = 5_000;
const STOP_GRACE_MS = 3_000;

/** Every live child, so none outlives this process even when a test fails before stop(). */
const liveChildren = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;
function trackChild(child: ChildProcessWithoutNullStreams): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

export interface RtspProcessOptions {
  host: string;
  /** 0 lets the server pick a free port; pass the same port again to restart in place. */
  port: number;
  /** The clip served at `path` at `fps`; absent when only `clockMounts` are served. */
  clip?: string;
  fps: number;
  path: string;
  /** More clips served by the same server, each at its own path (the sub-stream). */
  mounts?: { path: string; clip: string }[];
  /** What `clip` and `mounts` are encoded with (default h264); clock mounts are always H.264. */
  codec?: VideoCodec;
  /**
   * Live streams, each at its own path, whose every frame has the wall-clock time painted in as it is
   * made (clock-pattern.ts) and is encoded at once with x264 in the format given (`noise` is ignored).
   */
  clockMounts?: { path: string; video: VideoFormat }[];
  frozen: boolean;
}

/** The `--clock-mount` argument of rtsp_server.py for a stream; throws for a format it cannot paint or encode. */
export function clockMountArg(path: string, v: VideoFormat): string {
  const ints = [v.width, v.height, v.fps, v.gop, v.bitrateKbps];
  if (!ints.every((n) => Number.isInteger(n) && n > 0) || v.width % 2 !== 0 || v.height % 2 !== 0 || v.fps > 120) {
    throw new RangeError(`a clock stream needs an even size and whole positive fps (at most 120), GOP and bitrate, got ${JSON.stringify(v)}`);
  }
  if (v.width < CLOCK_WIDTH || v.height < CLOCK_HEIGHT) {
    throw new RangeError(`a clock stream needs frames of at least ${CLOCK_WIDTH}x${CLOCK_HEIGHT} px, got ${v.width}x${v.height} at ${path}`);
  }
  return `${path}=${v.width}x${v.height}@${v.fps}:${v.gop}:${v.bitrateKbps}`;
}

interface LineWaiter {
  match: (line: string) => boolean;
  resolve: (line: string) => void;
  reject: (err: Error) => void;
}

export class RtspProcess {
  private readonly waiters = new Set<LineWaiter>();
  private stderr = '';
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<void>;
  port = 0;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    trackChild(child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      for (const w of [...this.waiters]) {
        if (w.match(line)) {
          this.waiters.delete(w);
          w.resolve(line);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      // Keep the tail only: GStreamer can be chatty and the server runs for hours in the demo.
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const err = new Error(`rtsp_server.py exited (${signal ?? code}): ${this.stderr.trim()}`);
        for (const w of this.waiters) w.reject(err);
        this.waiters.clear();
        resolve();
      });
    });
    // A write racing the child's death raises EPIPE here; the exit handler already reports it.
    child.stdin.on('error', () => undefined);
    child.once('error', (err) => {
      for (const w of this.waiters) w.reject(err);
      this.waiters.clear();
    });
  }

  static async start(opts: RtspProcessOptions): Promise<RtspProcess> {
    const args = [SCRIPT, '--host', opts.host, '--port', String(opts.port), ...(opts.clip !== undefined ? ['--clip', opts.clip] : []),
      '--fps', String(opts.fps), '--path', opts.path, ...(opts.mounts ?? []).flatMap((m) => ['--mount', `${m.path}=${m.clip}`]),
      ...(opts.clockMounts ?? []).flatMap((m) => ['--clock-mount', clockMountArg(m.path, m.video)]),
      ...(opts.codec && opts.codec !== 'h264' ? ['--codec', opts.codec] : []),
      ...(opts.frozen ? ['--frozen'] : [])];
    const proc = new RtspProcess(spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    try {
      const ready = await proc.waitForLine((l) => l.startsWith('READY '), READY_TIMEOUT_MS);
      proc.port = Number(ready.split(' ')[1]);
      return proc;
    } catch (err) {
      await proc.stop();
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `freeze`, `unfreeze` or `keyframe PATH` and resolves once the server has applied it. */
  async command(cmd: 'freeze' | 'unfreeze' | `keyframe /${string}`): Promise<void> {
    const ack = this.waitForLine((l) => l === `OK ${cmd}` || l.startsWith('ERROR'), COMMAND_TIMEOUT_MS);
    this.child.stdin.write(`${cmd}\n`);
    const line = await ack;
    if (line.startsWith('ERROR')) throw new Error(`rtsp_server.py: ${line}`);
  }

  /** Ends the server (clients are disconnected, the port closes); resolves once it has exited. */
  async stop(): Promise<void> {
    if (!this.running) return this.exited;
    this.child.stdin.end();
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), STOP_GRACE_MS); }),
    ]);
    clearTimeout(timer);
    if (timedOut) this.child.kill('SIGKILL');
    await this.exited;
  }

  private waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    if (!this.running) return Promise.reject(new Error(`rtsp_server.py is not running: ${this.stderr.trim()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`rtsp_server.py did not answer within ${timeoutMs} ms: ${this.stderr.trim()}`));
      }, timeoutMs);
      const waiter: LineWaiter = {
        match,
        resolve: (line) => { clearTimeout(timer); resolve(line); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      this.waiters.add(waiter);
    });
  }
}
