import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SETPRIV = '/usr/bin/setpriv';
const launchers = new Map<string, string>();
let dir: string | undefined;

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * A tiny executable that fluent-ffmpeg runs in place of ffmpeg. fluent-ffmpeg spawns with
 * the agent's own environment and no hooks, but a recorder needs two things on its process:
 * TZ=UTC, because the segment muxer names files by strftime in local time and the index is
 * in UTC; and, on Linux, a parent-death signal (setpriv --pdeathsig SIGINT), because ffmpeg
 * ignores SIGPIPE and stdin EOF and would outlive a crashed agent writing files nobody
 * indexes. SIGINT is our own graceful stop, so even a `kill -9` of the agent leaves a
 * finished last segment. Both execs keep the pid, so the pid fluent-ffmpeg sees is ffmpeg's.
 *
 * The script lives in a private directory made for this process (mkdtemp, mode 0700) and is
 * removed when the process exits.
 */
export function recorderLauncher(ffmpegPath: string): string {
  const known = launchers.get(ffmpegPath);
  if (known) return known;
  if (!dir) {
    const made = mkdtempSync(join(tmpdir(), 'sargs-ffmpeg-'));
    dir = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  const path = join(dir, `ffmpeg-${launchers.size}`);
  const exec = existsSync(SETPRIV) ? `exec ${SETPRIV} --pdeathsig SIGINT -- ${shellQuote(ffmpegPath)} "$@"` : `exec ${shellQuote(ffmpegPath)} "$@"`;
  writeFileSync(path, `#!/bin/sh\nTZ=UTC\nexport TZ\n${exec}\n`, { mode: 0o700 });
  launchers.set(ffmpegPath, path);
  return path;
}
