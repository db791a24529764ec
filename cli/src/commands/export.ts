// `sargs export`: one camera's footage between two times from a running hub, as one MP4 file,
// checked against the SHA-256 the hub recorded in its audit log.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../usage-error';

export const HUB_PASSWORD_ENV = 'SARGS_PASSWORD';

interface ExportCliOptions { hub: string; user: string; password?: string; camera: string; from: string; to: string; reason: string; out?: string }

function isoTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) throw new InvalidArgumentError('must be an ISO-8601 time, e.g. 2026-03-01T10:00:00Z.');
  return new Date(ms).toISOString();
}

async function errorOf(res: Response): Promise<string> {
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  return body.error ?? `the hub answered HTTP ${res.status}`;
}

/** "45.6 MB" */
function sizeText(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : bytes < 1e9 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e9).toFixed(2)} GB`;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('download one camera\'s footage between two times from the hub as one MP4, and print its size and SHA-256 (the hash in the audit log)')
    .requiredOption('--hub <url>', 'the hub\'s address, e.g. https://hub.example.org')
    .requiredOption('--user <name>', 'a user with the admin or security role')
    .option('--password <password>', `their password (better: the ${HUB_PASSWORD_ENV} environment variable)`)
    .requiredOption('--camera <id>', 'the camera\'s id')
    .requiredOption('--from <time>', 'start, ISO-8601 (the file starts at the keyframe at or before it)', isoTime)
    .requiredOption('--to <time>', 'end, ISO-8601', isoTime)
    .requiredOption('--reason <text>', 'why the footage is needed (kept in the audit log)')
    .option('--out <file>', 'where to write the file (default: the name the hub gives, in this folder)')
    .action(async (o: ExportCliOptions) => {
      const password = o.password ?? (process.env[HUB_PASSWORD_ENV] || undefined);
      if (password === undefined) throw new UsageError(`give the password with --password or the ${HUB_PASSWORD_ENV} environment variable`);
      const hub = o.hub.replace(/\/+$/, '');
      const signIn = await fetch(`${hub}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: o.user, password }) })
        .catch((err: Error & { cause?: { code?: string; message?: string } }) => {
          // fetch says only "fetch failed"; the reason (refused, unknown host, TLS) is in its cause.
          throw new Error(`cannot reach the hub at ${hub}: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
        });
      if (!signIn.ok) throw new Error(`signing in to the hub failed: ${await errorOf(signIn)}`);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const headers = { cookie };
      try {
        const q = new URLSearchParams({ from: o.from, to: o.to, reason: o.reason });
        const res = await fetch(`${hub}/api/cameras/${encodeURIComponent(o.camera)}/export?${q.toString()}`, { headers });
        if (!res.ok || !res.body) throw new Error(await errorOf(res));
        const announced = Number(res.headers.get('content-length'));
        const named = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
        const out = resolve(o.out ?? basename(named ?? `${o.camera}.mp4`));
        const hash = createHash('sha256');
        let bytes = 0;
        const tap = new Transform({ transform(chunk: Buffer, _enc, done) { hash.update(chunk); bytes += chunk.length; done(null, chunk); } });
        try {
          await pipeline(Readable.fromWeb(res.body as Parameters<typeof Readable.fromWeb>[0]), tap, createWriteStream(out));
        } catch (err) {
          await rm(out, { force: true });
          throw new Error(`the download stopped after ${bytes} of ${announced} bytes: ${(err as Error).message}`);
        }
        const sha256 = hash.digest('hex');
        // The hub holds the last bytes back until it has stored the hash: it is there now.
        const status = await fetch(`${hub}/api/video/exports/${res.headers.get('x-export-id') ?? ''}`, { headers });
        const recorded = status.ok ? ((await status.json()) as { sha256?: string }).sha256 : undefined;
        if (bytes !== announced || recorded !== sha256) {
          throw new Error(`${out} does not match what the hub recorded (${bytes} of ${announced} bytes, SHA-256 ${sha256}, recorded ${recorded ?? 'none'})`);
        }
        console.log(`${out}\n  size     ${bytes} bytes (${sizeText(bytes)})\n  SHA-256  ${sha256} (as in the hub's audit log)\n  starts   ${res.headers.get('x-export-starts-at') ?? '?'} (the keyframe at or before ${o.from})`);
      } finally {
        await fetch(`${hub}/api/session`, { method: 'DELETE', headers }).catch(() => undefined);
      }
    });
}
