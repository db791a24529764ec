import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import ffmpeg from 'fluent-ffmpeg';
import type { Logger } from 'pino';
import type { RecorderCommand } from './ffmpeg-args';
import { redactUrl } from './ffmpeg-args';
import { recorderLauncher } from './ffmpeg-launcher';
import { StdoutParser, type ProgressReport, type SegmentLine } from './ffmpeg-output';

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last stderr lines, for the exit reason. May contain the stream URL: redact before logging. */
  stderrTail: string[];
}

const TAIL_LINES = 20;

/**
 * One recording ffmpeg, run by fluent-ffmpeg: its stdout read as progress and finished
 * segments, its stderr tail kept, and a stop that lets it write the last segment's trailer
 * before it is killed. fluent-ffmpeg's own progress event is not used: it parses stderr and
 * probes the input with ffprobe first, a second RTSP session per camera; ffmpeg's
 * machine-readable `-progress pipe:1` on stdout costs nothing extra.
 */
export class FfmpegProcess extends EventEmitter<{ progress: [ProgressReport]; segment: [SegmentLine] }> {
  readonly exited: Promise<FfmpegExit>;
  private readonly command: ffmpeg.FfmpegCommand;
  private proc: ChildProcess | undefined;
  private readonly tail: string[] = [];
  private done = false;
  private stopSignal: NodeJS.Signals | undefined;

  constructor(ffmpegPath: string, cmd: RecorderCommand, private readonly log: Logger) {
    super();
    this.command = ffmpeg({ stdoutLines: TAIL_LINES })
      .setFfmpegPath(recorderLauncher(ffmpegPath))
      .input(cmd.input).inputOptions(cmd.inputOptions)
      .output(cmd.output).outputOptions(cmd.outputOptions);
    this.command.on('start', () => this.started());
    this.command.on('stderr', (line: string) => {
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      this.log.debug({ line: redactUrl(line) }, 'ffmpeg');
    });
    this.exited = new Promise((resolve) => {
      const finish = (err?: Error) => {
        if (this.done) return;
        this.done = true;
        // A failure before ffmpeg ran (not installed, no segment muxer) has no exit status.
        if (err && !this.proc) this.tail.push(err.message);
        // Read from the process, not its 'exit' event: fluent-ffmpeg may report before our listener runs.
        resolve({ code: this.proc?.exitCode ?? null, signal: this.proc?.signalCode ?? null, stderrTail: [...this.tail] });
      };
      // Both fire after ffmpeg exited and its stdout and stderr closed, so the last segment line is read.
      this.command.on('end', () => finish());
      this.command.on('error', (err: Error) => finish(err));
    });
    this.command.run();
  }

  private started(): void {
    const proc = (this.command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
    if (!proc?.stdout) return;
    this.proc = proc;
    // fluent-ffmpeg keeps its own copy of every stdout line for its 'end' callback; nothing
    // here reads it, and splitting each progress block a second time cost as much as parsing it.
    proc.stdout.removeAllListeners('data');
    const parser = new StdoutParser();
    proc.stdout.setEncoding('latin1');
    proc.stdout.on('data', (chunk: string) => {
      for (const item of parser.push(chunk)) {
        if (item.kind === 'progress') this.emit('progress', item.report);
        else this.emit('segment', item.segment);
      }
    });
    proc.stdin?.on('error', () => undefined);
    // stop() came while fluent-ffmpeg was still checking ffmpeg's capabilities.
    if (this.stopSignal) proc.kill(this.stopSignal);
  }

  get pid(): number | undefined { return this.proc?.pid; }
  get running(): boolean { return !this.done; }

  /** SIGINT (ffmpeg finishes the current segment), SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<FfmpegExit> {
    if (this.done) return this.exited;
    this.kill('SIGINT');
    const timer = setTimeout(() => {
      this.log.warn({ pid: this.proc?.pid, graceMs }, 'ffmpeg ignored SIGINT; killing it');
      this.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private kill(signal: NodeJS.Signals): void {
    this.stopSignal = signal;
    this.proc?.kill(signal);
  }
}
