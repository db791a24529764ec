import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { redactUrl } from './ffmpeg-args';
import { StdoutParser, type ProgressReport, type SegmentLine } from './ffmpeg-output';

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last stderr lines, for the exit reason. May contain the stream URL: redact before logging. */
  stderrTail: string[];
}

const TAIL_LINES = 20;
const SETPRIV = '/usr/bin/setpriv';

/**
 * One ffmpeg process: its stdout read as progress and finished segments, its stderr tail
 * kept, and a stop that lets it write the last segment's trailer before it is killed.
 *
 * ffmpeg ignores SIGPIPE and stdin EOF, so it would outlive a crashed agent and keep writing
 * files nobody indexes. On Linux it is started through setpriv with a parent-death signal:
 * SIGINT, the same graceful stop we send, so even an agent killed with -9 leaves a finished
 * last segment. (setpriv execs ffmpeg, so the pid is ffmpeg's; the signal is tied to the
 * spawning thread, which in Node is the main thread.)
 */
export class FfmpegProcess extends EventEmitter<{ progress: [ProgressReport]; segment: [SegmentLine] }> {
  readonly exited: Promise<FfmpegExit>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly tail: string[] = [];
  private done = false;

  constructor(ffmpegPath: string, args: string[], private readonly log: Logger, env: NodeJS.ProcessEnv = {}) {
    super();
    const [cmd, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGINT', '--', ffmpegPath, ...args]] : [ffmpegPath, args];
    // strftime names the files from local time; UTC makes names and folders agree with the index.
    this.child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env, TZ: 'UTC' } });
    const parser = new StdoutParser();
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const item = parser.line(line);
      if (item?.kind === 'progress') this.emit('progress', item.report);
      else if (item?.kind === 'segment') this.emit('segment', item.segment);
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      this.log.debug({ line: redactUrl(line) }, 'ffmpeg');
    });
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.done) return;
        this.done = true;
        resolve({ code, signal, stderrTail: [...this.tail] });
      };
      // 'close' waits for stdout to drain, so the last segment line is read before we report the exit.
      this.child.once('close', finish);
      this.child.once('error', (err) => { this.tail.push(err.message); finish(null, null); });
    });
  }

  get pid(): number | undefined { return this.child.pid; }
  get running(): boolean { return !this.done; }

  /** SIGINT (ffmpeg finishes the current segment), SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<FfmpegExit> {
    if (this.done) return this.exited;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => {
      this.log.warn({ pid: this.child.pid, graceMs }, 'ffmpeg ignored SIGINT; killing it');
      this.child.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
