import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditKeyRequiredError, AuditLog, GENESIS_HASH, auditKey, type AuditEntry } from './audit-log';
import { canonicalJson } from './canonical-json';

describe('hash-chained audit log', () => {
  let dir: string;
  let db: Level<string, unknown>;
  let raw: ReturnType<Level<string, unknown>['sublevel']>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sargs-audit-'));
    db = new Level<string, unknown>(join(dir, 'hub.db'), { valueEncoding: 'json' });
    await db.open();
    // What someone with access to the database files can do, bypassing AuditLog.
    raw = db.sublevel<string, unknown>('audit', { valueEncoding: 'json' }) as unknown as typeof raw;
  });
  afterEach(async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); });

  const fill = async (log: AuditLog, n: number) => {
    for (let i = 1; i <= n; i++) {
      await log.append({ actor: i % 2 ? 'ilze' : 'janis', action: i % 3 ? 'footage.view' : 'footage.export', target: `cam-${i % 4}`, reason: `case ${i}`, details: { n: i, from: '2025-01-01T00:00:00Z' } });
    }
  };
  const rawEntry = async (seq: number) => (await raw.get(auditKey(seq))) as AuditEntry;

  it('chains 50 entries, each hashed over its canonical form and the previous hash', async () => {
    const log = new AuditLog(db);
    expect(await log.verify()).toEqual({ ok: true, entries: 0, head: null });
    await fill(log, 50);
    const result = await log.verify();
    expect(result).toMatchObject({ ok: true, entries: 50, head: { seq: 50 } });

    const first = await rawEntry(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    const { hash, ...body } = first;
    expect(hash).toBe(createHash('sha256').update(canonicalJson(body)).digest('hex'));
    expect((await rawEntry(2)).prevHash).toBe(hash);
    // Key order must not matter: the same content built differently hashes the same.
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  });

  it('concurrent appends get contiguous seq numbers and one unbroken chain, also across a reopen', async () => {
    const log = new AuditLog(db);
    const written = await Promise.all(Array.from({ length: 30 }, (_, i) => log.append({ actor: 'system', action: 'retention.change', target: `cam-${i}` })));
    expect(written.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const again = new AuditLog(db);
    expect((await again.append({ actor: 'system', action: 'sign-in' })).seq).toBe(31);
    expect(await again.verify()).toMatchObject({ ok: true, entries: 31 });
  });

  it('names an edited entry: hash mismatch', async () => {
    const log = new AuditLog(db);
    await fill(log, 50);
    await raw.put(auditKey(17), { ...(await rawEntry(17)), reason: 'nothing to see here' });
    const r = await log.verify();
    expect(r).toMatchObject({ ok: false, entries: 16, firstBroken: { seq: 17, problem: 'hash mismatch', entry: { action: 'footage.view', actor: 'ilze' } } });
  });

  it('an edit with a recomputed hash (no key) still breaks the link to the next entry', async () => {
    const log = new AuditLog(db);
    await fill(log, 50);
    const { hash: _old, ...body } = await rawEntry(17);
    const forged = { ...body, reason: 'forged' };
    await raw.put(auditKey(17), { ...forged, hash: createHash('sha256').update(canonicalJson(forged)).digest('hex') });
    expect(await log.verify()).toMatchObject({ ok: false, firstBroken: { seq: 18, problem: 'broken link' } });
  });

  it('names a deleted entry in the middle: missing entry', async () => {
    const log = new AuditLog(db);
    await fill(log, 50);
    await raw.del(auditKey(20));
    expect(await log.verify()).toMatchObject({ ok: false, entries: 19, firstBroken: { seq: 20, problem: 'missing entry' } });
  });

  it('detects a deleted last entry through the head record, and keeps the gap visible after new appends', async () => {
    await fill(new AuditLog(db), 50);
    await raw.del(auditKey(50));
    const log = new AuditLog(db);
    expect(await log.verify()).toMatchObject({ ok: false, entries: 49, firstBroken: { seq: 50, problem: 'head mismatch' } });
    // The hub carries on after the head, so the hole cannot be papered over by new entries.
    expect((await log.append({ actor: 'system', action: 'sign-in' })).seq).toBe(51);
    expect(await log.verify()).toMatchObject({ ok: false, firstBroken: { seq: 50, problem: 'missing entry' } });
  });

  it('detects reordered entries and an unreadable one', async () => {
    const log = new AuditLog(db);
    await fill(log, 10);
    const [five, six] = [await rawEntry(5), await rawEntry(6)];
    await raw.put(auditKey(5), six);
    await raw.put(auditKey(6), five);
    expect(await log.verify()).toMatchObject({ ok: false, firstBroken: { seq: 5, problem: 'broken link' } });
    await raw.put(auditKey(5), five);
    await raw.put(auditKey(6), six);
    expect(await log.verify()).toMatchObject({ ok: true });
    await raw.put(auditKey(3), 'not an entry');
    expect(await log.verify()).toMatchObject({ ok: false, entries: 2, firstBroken: { seq: 3, problem: 'unparseable' } });
  });

  it('with SARGS_AUDIT_KEY, an entry re-hashed without the key is caught', async () => {
    const log = new AuditLog(db, { key: 'a long secret from the environment' });
    await fill(log, 20);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 20 });
    const { hash: _old, ...body } = await rawEntry(9);
    const forged = { ...body, reason: 'forged' };
    await raw.put(auditKey(9), { ...forged, hash: createHash('sha256').update(canonicalJson(forged)).digest('hex') });
    expect(await log.verify()).toMatchObject({ ok: false, firstBroken: { seq: 9, problem: 'hash mismatch' } });
    // Claiming the entry was never keyed is a downgrade, not a way round the key.
    await raw.put(auditKey(9), { ...forged, alg: 'sha256', hash: createHash('sha256').update(canonicalJson({ ...forged, alg: 'sha256' })).digest('hex') });
    expect(await log.verify()).toMatchObject({ ok: false, firstBroken: { seq: 9, problem: 'hash mismatch' } });
    // A verifier without the key cannot judge a keyed log, and says so instead of guessing.
    await expect(new AuditLog(db).verify()).rejects.toBeInstanceOf(AuditKeyRequiredError);
    await expect(new AuditLog(db, { key: 'the wrong key' }).verify()).resolves.toMatchObject({ ok: false, firstBroken: { seq: 1, problem: 'hash mismatch' } });
  });

  it('lists newest first with filters and a seq cursor', async () => {
    const log = new AuditLog(db, { now: (() => { let t = Date.parse('2025-03-01T00:00:00Z'); return () => new Date(t += 60_000); })() });
    await fill(log, 50);
    const page = await log.list({ limit: 5 });
    expect(page.entries.map((e) => e.seq)).toEqual([50, 49, 48, 47, 46]);
    expect(page.next).toBe(46);
    expect((await log.list({ limit: 5, before: 46 })).entries.map((e) => e.seq)).toEqual([45, 44, 43, 42, 41]);

    const exports = await log.list({ action: 'footage.export', actor: 'ilze', limit: 1000 });
    expect(exports.entries.map((e) => e.seq)).toEqual([45, 39, 33, 27, 21, 15, 9, 3]);
    expect(exports.next).toBeNull();
    expect((await log.list({ action: 'footage' })).entries).toHaveLength(50);
    expect((await log.list({ action: 'foot' })).entries).toHaveLength(0);
    expect((await log.list({ target: 'cam-0' })).entries.every((e) => e.target === 'cam-0')).toBe(true);

    const window = await log.list({ from: '2025-03-01T00:10:00.000Z', to: '2025-03-01T00:13:00.000Z' });
    expect(window.entries.map((e) => e.seq)).toEqual([12, 11, 10]);
    expect((await log.list({ limit: 5000 })).entries).toHaveLength(50);
  });
});
