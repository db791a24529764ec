import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cliMain, repoRoot } from './paths';

export interface HubProcess {
  url: string;
  /** Only at the first start of a data folder. */
  adminPassword: string | undefined;
  output: string[];
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs `sargs hub` as a real child process and waits until it listens. Node runs it
 * directly (tsx as a loader, not a wrapper process) so a SIGKILL hits the hub itself.
 */
export async function startHubProcess(dataDir: string, port: number, timeoutMs = 30_000): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', cliMain, 'hub', '--data', dataDir, '--port', String(port)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SARGS_DEBUG: '1' } });
  const output: string[] = [];
  let adminPassword: string | undefined;
  let expectPassword = false;
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start within ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`hub exited with ${code}:\n${output.join('\n')}`)); });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        output.push(line);
        if (expectPassword && line.trim()) { adminPassword = line.trim(); expectPassword = false; }
        if (line.includes('one-time password:')) expectPassword = true;
        const m = /Sargs hub listening on (\S+)/.exec(line);
        if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
      });
    }
  });
  const url = await ready;
  child.removeAllListeners('exit');
  return {
    url, adminPassword, output, child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}
