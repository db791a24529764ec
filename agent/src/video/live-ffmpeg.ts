import { spawn, type ChildProcess } from 'node:child_process';
import { recorderLauncher } from '../cameras/ffmpeg-launcher';

/**
 * How the live ffmpeg probes its input. `first-packet`: probing ends with the first packet read
 * (`-probesize 32`), which is enough when the SDP carries the parameter sets (sprop-parameter-sets,
 * as nearly every camera's does): ffmpeg writes the init at once and copies from the first keyframe.
 * `keyframe`: ffmpeg reads until it has decoded a keyframe and six frames after it (its guess of the
 * decoder delay), for a camera whose SDP lacks the parameter sets, so they must come in-band.
 */
export type LiveProbe = 'first-packet' | 'keyframe';

export interface LiveOptions { ioTimeoutSeconds?: number; hevc?: boolean; probe?: LiveProbe }

const GLOBAL_ARGS = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning'];

/**
 * The live ffmpeg's input options, as [name, value] pairs (for its command line, or for the
 * `option` lines of the script a parked ffmpeg reads, live-pool.ts).
 *
 * Measured against the simulated camera (640x360, GOP 2 s, on a loaded 2-core machine): ffmpeg
 * itself takes 0.15-0.25 s to start (loading its ~200 libraries; a parked one has done that) and ~5 ms
 * for the RTSP handshake on loopback. Probing used to be the rest: it waited for a keyframe and then
 * six more frames (0.25 s) before writing anything, so the init came 0.3-2.3 s after PLAY. With
 * `first-packet` it comes with the first packet (~10-40 ms after PLAY) and the first fragment is the
 * first keyframe, which the camera is asked for as soon as the init shows the session plays
 * (live-keyframe.ts). `-fflags nobuffer` throws away what ffmpeg read while probing (with a keyframe
 * probe, that keyframe): not used. `-fpsprobesize 0` stops ffmpeg estimating the frame rate (which
 * probed for ~1.3 s). `allowed_media_types video` sets up the video track only: a first packet of
 * audio would leave the video's size unknown, and audio is not shown anyway.
 */
export function liveInputOptions(o: LiveOptions = {}): [string, string][] {
  const ioTimeoutSeconds = o.ioTimeoutSeconds ?? 5;
  return [
    ['rtsp_transport', 'tcp'], ['timeout', String(Math.round(ioTimeoutSeconds * 1e6))], ['allowed_media_types', 'video'],
    ['fpsprobesize', '0'],
    // A keyframe probe may have to wait out a long GOP (up to 10 s) at a high bitrate.
    ...(o.probe === 'keyframe' ? [['analyzeduration', '10000000'], ['probesize', '20000000']] as [string, string][] : [['probesize', '32']] as [string, string][]),
  ];
}

/**
 * The output: the camera's stream copied (no decoding) into fragmented MP4 on stdout, one fragment
 * per frame, written as soon as it is complete. `-flags low_delay` is a decoder flag and does nothing
 * in copy mode, so it is left out. The one frame of delay that is left is frag_every_frame's own: a
 * fragment is written when the next frame arrives and gives its duration.
 */
function liveOutputArgs(o: LiveOptions): string[] {
  return [
    '-map', '0:v:0', '-c', 'copy', '-an',
    // Safari plays H.265 only as hvc1; ffmpeg's default tag is hev1.
    ...(o.hevc ? ['-tag:v', 'hvc1'] : []),
    '-f', 'mp4', '-movflags', 'empty_moov+default_base_moof+frag_every_frame', '-flush_packets', '1',
    'pipe:1',
  ];
}

/** The live ffmpeg's arguments for a camera's stream address. */
export function liveArgs(url: string, o: LiveOptions = {}): string[] {
  return [...GLOBAL_ARGS, ...liveInputOptions(o).flatMap(([k, v]) => [`-${k}`, v]), '-i', url, ...liveOutputArgs(o)];
}

/**
 * A parked live ffmpeg's arguments: its input is an ffconcat script it reads from its stdin (it
 * blocks there until the script is written and stdin closed), naming the camera's address and the
 * input options, so that it can be started before the address is known. The concat demuxer hands on
 * the camera's stream as it is (its codec parameters, timestamps and packets, measured equal to a
 * direct input); its own probe needs only the first packet, the stream's parameters being known by
 * then. H.264 only (the output has no hvc1 tag). Reading stdin is also what ends it with the agent:
 * the agent gone, the pipe's end closes and ffmpeg reads an empty script and exits, whatever signal
 * it did or did not get (a process blocked opening a FIFO would not).
 */
export function parkedArgs(): string[] {
  return [
    ...GLOBAL_ARGS, '-f', 'concat', '-safe', '0', '-protocol_whitelist', 'pipe,file,tcp,udp,rtp,srtp,tls,crypto,rtsp',
    '-probesize', '32', '-fpsprobesize', '0', '-i', 'pipe:0', ...liveOutputArgs({}),
  ];
}

/** The ffconcat script that starts a parked ffmpeg on `url` with these input options. */
export function concatScript(url: string, options: [string, string][]): string {
  return ['ffconcat version 1.0', `file ${quote(url)}`, ...options.map(([k, v]) => `option ${k} ${quote(v)}`)].join('\n') + '\n';
}

/** ffconcat's quoting (av_get_token): inside '' nothing is special, and a ' itself is written '\''. */
function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

export interface LiveExit { code: number | null; signal: NodeJS.Signals | null; stderrTail: string[] }

const TAIL_LINES = 20;
/** What a first-packet probe always says (the rate comes from the stream's timestamps anyway). */
const PROBE_NOISE = /not enough frames to estimate rate/;

/**
 * One live ffmpeg: spawned through the recorder's launcher (TZ=UTC and a parent-death signal, so
 * it never outlives the agent), its stdout handed to `onData`, its stderr's last lines kept for
 * the exit reason (they may hold the URL: exitDetail redacts them).
 */
export class LiveFfmpeg {
  readonly exited: Promise<LiveExit>;
  private readonly proc: ChildProcess;
  private readonly tail: string[] = [];
  private done = false;

  /** Where stdout goes; a parked ffmpeg gets it when it is taken (it writes nothing before). */
  onData: ((chunk: Buffer) => void) | undefined;

  /** `stdin: 'pipe'` for a parked ffmpeg, which reads its script there (`start`). */
  constructor(ffmpegPath: string, args: string[], onData?: (chunk: Buffer) => void, stdin: 'ignore' | 'pipe' = 'ignore') {
    this.onData = onData;
    this.proc = spawn(recorderLauncher(ffmpegPath), args, { stdio: [stdin, 'pipe', 'pipe'] });
    // A parked ffmpeg that died before its script came: the write fails with EPIPE, and `exited` tells.
    this.proc.stdin?.on('error', () => undefined);
    this.proc.stdout!.on('data', (chunk: Buffer) => this.onData?.(chunk));
    let partial = '';
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (s: string) => {
      const lines = (partial + s).split('\n');
      partial = (lines.pop() ?? '').slice(-2000);
      for (const l of lines) if (l.trim() && !PROBE_NOISE.test(l)) this.tail.push(l);
      if (this.tail.length > TAIL_LINES) this.tail.splice(0, this.tail.length - TAIL_LINES);
    });
    this.exited = new Promise((resolve) => {
      const finish = (err?: Error) => {
        if (this.done) return;
        this.done = true;
        if (err) this.tail.push(err.message);
        resolve({ code: this.proc.exitCode, signal: this.proc.signalCode, stderrTail: [...this.tail] });
      };
      this.proc.once('error', finish);
      // 'close', not 'exit': the last stdout bytes and stderr lines have been read by then.
      this.proc.once('close', () => finish());
    });
  }

  get pid(): number | undefined { return this.proc.pid; }
  get running(): boolean { return !this.done; }

  /** Gives a parked ffmpeg its script (written whole, then stdin closed): it starts at once, or as soon as it has loaded. */
  start(script: string): void {
    this.proc.stdin?.end(script);
  }

  /** Lets the agent's process exit while this ffmpeg waits (a parked one holds nothing the agent needs). */
  unref(): void {
    this.proc.unref();
    for (const s of [this.proc.stdin, this.proc.stdout, this.proc.stderr]) (s as { unref?: () => void } | null)?.unref?.();
  }

  /** SIGINT (ffmpeg sends the camera a TEARDOWN, freeing its session at once), SIGKILL after `graceMs`. */
  async stop(graceMs = 2000): Promise<LiveExit> {
    if (this.done) return this.exited;
    this.proc.kill('SIGINT');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

