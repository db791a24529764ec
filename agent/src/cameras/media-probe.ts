import { spawn } from 'node:child_process';

export type ProbeResult = { ok: true; durationS: number } | { ok: false; error: string };

/**
 * Whether a recording plays, and how long it is, by asking ffprobe. A file ffprobe cannot
 * open or that has no duration (an empty or headerless fragment) is not playable.
 */
export function probeDuration(file: string, opts: { ffprobePath?: string; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const args = ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=noprint_wrappers=1:nokey=1', file];
  return new Promise((resolve) => {
    const child = spawn(opts.ffprobePath ?? 'ffprobe', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
    // A damaged file must not hang start-up.
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.once('error', (e) => { clearTimeout(timer); resolve({ ok: false, error: e.message }); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const duration = Number(out.trim());
      if (code === 0 && Number.isFinite(duration) && duration > 0) resolve({ ok: true, durationS: duration });
      else resolve({ ok: false, error: err.trim() || (signal ? `ffprobe killed by ${signal}` : `no duration (exit ${code})`) });
    });
  });
}
