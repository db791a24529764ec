import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startHub, type AuditEntry, type RunningHub, type VerifyResult } from '@sargs/hub';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../support/hub-client';
import { ADMIN_PASSWORD, hubWithAdmin, userWithRole } from '../support/in-process';
import { capturedLogger } from '../support/log-capture';
import { cliMain, consoleDir, repoRoot, tempDir } from '../support/paths';

/** The real command line, as an operator runs it; the key is left out so the log is plain SHA-256. */
function sargs(...args: string[]) {
  const env = { ...process.env };
  delete env.SARGS_AUDIT_KEY;
  const r = spawnSync(process.execPath, ['--import', 'tsx', cliMain, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

type Page = { entries: AuditEntry[]; next: number | null };

describe('audit log through the hub API and `sargs audit`', () => {
  const dir = tempDir('audit');
  let hub: RunningHub | undefined;
  let admin: HubClient;
  let exported: AuditEntry;

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(dir.path));
    const audit = hub.audit;
    await audit.append({ actor: 'ilze', action: 'footage.view', target: 'cam-gate', reason: 'break-in report 2025/17' });
    exported = await audit.append({
      actor: 'ilze', action: 'footage.export', target: 'cam-gate', reason: 'police request 2025/17',
      details: { sha256: 'ab'.repeat(32), bytes: 1_234_567, from: '2025-03-14T08:00:00Z', to: '2025-03-14T08:15:00Z' },
    });
    await audit.append({ actor: 'admin', action: 'legal-hold.place', target: 'cam-gate', reason: 'police request 2025/17' });
    await audit.append({ actor: 'admin', action: 'user.create', target: 'ilze' });
    await audit.append({ actor: 'system', action: 'retention.change', target: 'cam-yard', details: { from: 30, to: 14 } });
  });
  afterAll(async () => { await hub?.close(); dir.remove(); });

  it('an admin browses and filters the log, newest first', async () => {
    const all = await admin.json<Page>('GET', '/api/audit');
    const mine = all.entries.filter((e) => e.seq >= exported.seq - 1);
    expect(mine.map((e) => e.action)).toEqual(['retention.change', 'user.create', 'legal-hold.place', 'footage.export', 'footage.view']);

    const exports = await admin.json<Page>('GET', '/api/audit?action=footage.export');
    expect(exports.entries).toEqual([exported]);
    expect(exports.entries[0]!.details).toEqual({ sha256: 'ab'.repeat(32), bytes: 1_234_567, from: '2025-03-14T08:00:00Z', to: '2025-03-14T08:15:00Z' });

    expect((await admin.json<Page>('GET', '/api/audit?action=footage')).entries.map((e) => e.action)).toEqual(['footage.export', 'footage.view']);
    expect((await admin.json<Page>('GET', '/api/audit?actor=admin&target=cam-gate')).entries.map((e) => e.action)).toEqual(['legal-hold.place']);
    const at = encodeURIComponent(exported.at);
    expect((await admin.json<Page>('GET', `/api/audit?from=${at}&action=legal-hold`)).entries.map((e) => e.action)).toEqual(['legal-hold.place']);
    expect((await admin.json<Page>('GET', `/api/audit?to=${at}&action=legal-hold`)).entries).toEqual([]);

    const first = await admin.json<Page>('GET', '/api/audit?limit=2');
    expect(first.entries).toHaveLength(2);
    expect(first.next).not.toBeNull();
    const second = await admin.json<Page>('GET', `/api/audit?limit=2&before=${first.next}`);
    expect(second.entries[0]!.seq).toBe(first.next! - 1);

    for (const bad of ['limit=0', 'limit=1001', 'before=-1', 'from=yesterday', 'colour=red']) {
      const r = await admin.request('GET', `/api/audit?${bad}`);
      expect(r.status, bad).toBe(400);
    }
    const security = await userWithRole(admin, 'ilze', 'security');
    expect((await security.request('GET', '/api/audit')).status).toBe(403);
  });

  it('the intact log verifies through the API', async () => {
    const r = await admin.json<VerifyResult>('GET', '/api/audit/verify');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.head?.seq).toBe(r.entries);
  });

  it('`sargs audit verify` refuses to open the database of a running hub and points at the API', () => {
    const r = sargs('audit', 'verify', '--data', dir.path);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/in use: the hub is running.*GET \/api\/audit\/verify/);
  });

  it('one edited entry is named by `sargs audit verify` and, after a restart, by the API', async () => {
    await hub!.close();
    hub = undefined;

    let r = sargs('audit', 'verify', '--data', dir.path);
    expect(r.out).toMatch(/audit log intact: \d+ entries/);
    expect(r.code).toBe(0);
    r = sargs('audit', 'list', '--data', dir.path, '--action', 'footage', '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as Page).entries.map((e) => e.seq)).toEqual([exported.seq, exported.seq - 1]);

    // Someone with access to the files changes why the export was made.
    const db = new Level<string, unknown>(join(dir.path, 'hub.db'), { valueEncoding: 'json' });
    const raw = db.sublevel<string, AuditEntry>('audit', { valueEncoding: 'json' });
    const key = String(exported.seq).padStart(12, '0');
    const stored = await raw.get(key);
    expect(stored?.reason).toBe('police request 2025/17');
    await raw.put(key, { ...stored!, reason: 'routine check' });
    await db.close();

    r = sargs('audit', 'verify', '--data', dir.path);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`AUDIT LOG BROKEN at entry #${exported.seq}: hash mismatch (footage.export by ilze at ${exported.at})`);
    r = sargs('audit', 'verify', '--data', dir.path, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, firstBroken: { seq: exported.seq, problem: 'hash mismatch' } });

    const { logger } = capturedLogger('hub');
    hub = await startHub({ dataDir: dir.path, port: 0, consoleDir, logger });
    const again = new HubClient(hub.url);
    await again.signIn('admin', ADMIN_PASSWORD);
    const v = await again.json<VerifyResult>('GET', '/api/audit/verify');
    expect(v).toMatchObject({ ok: false, entries: exported.seq - 1, firstBroken: { seq: exported.seq, problem: 'hash mismatch', entry: { action: 'footage.export' } } });
  });

  it('`sargs audit verify` without a hub database says so instead of verifying an empty one', () => {
    const r = sargs('audit', 'verify', '--data', join(dir.path, 'nowhere'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/there is no hub database in .*nowhere/);
  });
});
