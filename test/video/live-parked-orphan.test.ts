// A parked live ffmpeg (live-pool.ts) dies with its agent, even a `kill -9` of it: it waits reading
// its script from stdin, and the agent gone, the pipe closes. (Waiting on a FIFO, as it first did, it
// sat blocked in open() and outlived the agent.)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..');
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

it('a parked live ffmpeg ends when its agent is killed with SIGKILL', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'parked-ffmpeg-child.ts')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let ffmpegPid: number | undefined;
  try {
    const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string];
    ffmpegPid = Number(line);
    expect(ffmpegPid).toBeGreaterThan(0);
    expect(alive(ffmpegPid)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    const end = Date.now() + 10_000;
    while (alive(ffmpegPid) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(alive(ffmpegPid), 'the parked ffmpeg outlived its agent').toBe(false);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (ffmpegPid && alive(ffmpegPid)) process.kill(ffmpegPid, 'SIGKILL');
  }
});
