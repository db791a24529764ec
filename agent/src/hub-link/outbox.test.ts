import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from './outbox';

const ev = (n: number) => ({ kind: 'test.n', at: '2026-01-01T00:00:00Z', data: { n } });

describe('outbox on LevelDB', () => {
  const dirs: string[] = [];
  const open = async (dir?: string) => {
    const d = dir ?? mkdtempSync(join(tmpdir(), 'sargs-outbox-'));
    if (!dir) dirs.push(d);
    const db = new Level<string, unknown>(d, { valueEncoding: 'json' });
    await db.open();
    return { d, db, ob: await Outbox.open(db) };
  };
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('numbers entries from 1, keeps them across a reopen, and deletes only what was acknowledged', async () => {
    const { d, db, ob } = await open();
    const seqs = await Promise.all([1, 2, 3, 4, 5].map((n) => ob.enqueue(ev(n))));
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    await ob.ackUpTo(2);
    await db.close();

    const again = await open(d);
    expect(again.ob.size).toBe(3);
    expect((await again.ob.after(0, 10)).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(await again.ob.enqueue(ev(6))).toBe(6); // a number is never reused after a restart
    await again.ob.ackUpTo(6);
    expect(again.ob.size).toBe(0);
    await again.db.close();
  });

  it('concurrent and repeated acknowledgements count each entry once', async () => {
    const { db, ob } = await open();
    for (let n = 0; n < 50; n++) await ob.enqueue(ev(n));
    await Promise.all([ob.ackUpTo(10), ob.ackUpTo(20), ob.ackUpTo(20), ob.ackUpTo(5), ob.ackUpTo(30)]);
    expect(ob.size).toBe(20);
    expect((await ob.after(0, 1))[0]?.seq).toBe(31);
    await db.close();
  });
});
