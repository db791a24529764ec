// `pnpm sargs export`: the footage from a running hub into a file, with its size and the SHA-256 of the audit log.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userWithRole } from '../support/in-process';
import { cliMain, repoRoot, tempDir } from '../support/paths';
import { exportSite, type ExportSite } from './export-fixtures';

async function sargs(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

describe('sargs export', () => {
  const work = tempDir('export-cli');
  let site: ExportSite;

  beforeAll(async () => {
    site = await exportSite('export-cli-site', { segments: 3 });
    await userWithRole(site.admin, 'officer', 'security');
    await userWithRole(site.admin, 'watcher', 'operator');
  });
  afterAll(async () => { await site?.close(); work.remove(); });

  it('writes the file and prints its size and the SHA-256 the hub audited', async () => {
    const out = join(work.path, 'gate.mp4');
    const r = await sargs(['export', '--hub', site.hub.url, '--user', 'officer', '--camera', site.cameraId,
      '--from', site.at(1), '--to', site.at(9), '--reason', 'insurance claim 2026-88', '--out', out], { SARGS_PASSWORD: 'officer chosen password' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const bytes = readFileSync(out);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(r.out).toContain(`size     ${bytes.length} bytes`);
    expect(r.out).toContain(`SHA-256  ${sha} (as in the hub's audit log)`);
    expect(r.out).toContain(`starts   ${site.at(0)}`);
    const audit = await site.admin.json<{ entries: { action: string; actor: string; reason?: string; details?: { sha256?: string } }[] }>('GET', '/api/audit?action=footage.export');
    expect(audit.entries[0]).toMatchObject({ action: 'footage.export', actor: 'officer', reason: 'insurance claim 2026-88', details: { sha256: sha } });
  });

  it('says in a sentence why not: no footage, or a role that may not export', async () => {
    const out = join(work.path, 'none.mp4');
    const none = await sargs(['export', '--hub', site.hub.url, '--user', 'officer', '--camera', site.cameraId,
      '--from', site.at(-600), '--to', site.at(-300), '--reason', 'looking for the van', '--out', out], { SARGS_PASSWORD: 'officer chosen password' });
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^sargs: No footage was recorded by Depot gate between .+ UTC and .+ UTC\.\n$/);
    expect(existsSync(out)).toBe(false);
    const denied = await sargs(['export', '--hub', site.hub.url, '--user', 'watcher', '--camera', site.cameraId,
      '--from', site.at(0), '--to', site.at(4), '--reason', 'looking for the van', '--out', out], { SARGS_PASSWORD: 'watcher chosen password' });
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/role "operator" may not GET/);
  });
});
