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
export async function startCliProcess(args: string[], readyPattern: RegExp, timeoutMs = 60_000): Promise<CliProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SARGS_DEBUG: '1' } });
  const output: string[] = [];
  let adminPassword: string | undefined;
  let expectPassword = false;
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sargs ${args[0]} was not ready within ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sargs ${args[0]} exited with ${code}:\n${output.join('\n')}`)); });
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
  const readyValue = await ready;
  child.removeAllListeners('exit');
  return {
    ready: readyValue, adminPassword, output, child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit') as Promise<[number | null]>;
      child.kill(signal);
      return (await exited)[0];
    },
  };
}
