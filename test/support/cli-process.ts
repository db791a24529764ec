import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cliMain, repoRoot } from './paths';

export interface CliProcess {
  /** First capture group of the ready pattern. */
  ready: string;
  /** Only at the first start of a hub data folder. */
  adminPassword: string | undefined;
  output: string[];
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs a `sargs` subcommand as a real child process and waits for the line that says it
 * is ready. Node runs it directly (tsx as a loader, not a wrapper process), so a signal
 * hits the program itself.
 */
export function startCliProcess(args: string[], readyPattern: RegExp, timeoutMs = 60_000): Promise<CliProcess> {
  return startProcess(process.execPath, ['--import', 'tsx', cliMain, ...args], readyPattern, {
    cwd: repoRoot, env: { ...process.env, SARGS_DEBUG: '1' }, timeoutMs, what: `sargs ${args[0]}`,
  });
}

export interface ProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** How errors name the process. */
  what: string;
  /**
   * Its own process group, signalled as a whole as Ctrl-C in a terminal does: for commands that
   * run the program under wrappers (npm, a shell, pnpm), which would not pass a signal on.
   */
  group?: boolean;
}

/** Any command that prints a ready line (and, at a hub's first start, the admin's one-time password). */
export async function startProcess(command: string, args: string[], readyPattern: RegExp, o: ProcessOptions): Promise<CliProcess> {
  const child = spawn(command, args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: o.env, detached: o.group ?? false });
  const output: string[] = [];
  let adminPassword: string | undefined;
  let expectPassword = false;
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${o.what} was not ready within ${o.timeoutMs} ms:\n${output.join('\n')}`)), o.timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${o.what} exited with ${code}:\n${output.join('\n')}`)); });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        output.push(line);
        if (expectPassword && line.trim()) { adminPassword = line.trim(); expectPassword = false; }
        if (line.includes('one-time password:')) expectPassword = true;
        const m = readyPattern.exec(line);
        if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
      });
    }
  });
  const readyValue = await ready.catch(async (err: unknown) => {
    if (child.exitCode === null && child.signalCode === null) {
      if (o.group) process.kill(-child.pid!, 'SIGKILL'); else child.kill('SIGKILL');
    }
    throw err;
  });
  child.removeAllListeners('exit');
  return {
    ready: readyValue, adminPassword, output, child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit') as Promise<[number | null]>;
      if (o.group) process.kill(-child.pid!, signal); else child.kill(signal);
      return (await exited)[0];
    },
  };
}
