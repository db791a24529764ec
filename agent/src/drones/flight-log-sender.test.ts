import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '@sargs/shared';
import { FlightLogChunk } from '@sargs/shared/protocol/drones';
import { Value } from '@sinclair/typebox/value';
import { Level } from 'level';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/paths';
import { Outbox, type OutboxAlsoPut } from '../hub-link/outbox';
import { FlightLogSender, type FlightLogOutbox } from './flight-log-sender';
import { COPTER, fixturePath } from '../../../test/support/drone-frames';
import type { ClosedFlight } from './tlog-recorder';

const log = pino({ level: 'silent' });
const clock = { now: () => Date.parse('2025-05-01T12:00:00Z') };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

const fixture = readFileSync(fixturePath(COPTER));
const fixtureSha = createHash('sha256').update(fixture).digest('hex');

async function site() {
  const dir = tempDir('flight-log');
  cleanups.push(() => dir.remove());
  const flight: ClosedFlight = {
    flightId: randomUUID(), path: join(dir.path, 'flight.tlog'), vehicleKey: 'sys1', systemId: 1,
    startedAt: '2013-10-13T22:01:11.000Z', endedAt: '2013-10-13T22:06:45.000Z',
  };
  copyFileSync(fixturePath(COPTER), flight.path);
  let db: Level<string, unknown> | undefined;
  const openDb = async () => {
    db = new Level<string, unknown>(join(dir.path, 'agent.db'), { valueEncoding: 'json' });
    await db.open();
    return { db, outbox: await Outbox.open(db) };
  };
  cleanups.push(async () => { await db?.close(); });
  return { dir: dir.path, flight, openDb, closeDb: async () => { await db?.close(); } };
}

/** The outbox's flight.log chunks, in outbox order. */
async function chunks(outbox: Outbox): Promise<Array<{ seq: number; chunk: FlightLogChunk }>> {
  const entries = await outbox.after(0, 1000);
  return entries.filter((e) => e.event.kind === 'flight.log').map((e) => ({ seq: e.seq, chunk: e.event.data as FlightLogChunk }));
}

/** An outbox whose process "dies" at the nth enqueue: before writing it, or just after it is on disk. */
function dyingOutbox(outbox: Outbox, nth: number, when: 'before-write' | 'after-write'): FlightLogOutbox {
  let n = 0;
  return {
    get ackedSeq() { return outbox.ackedSeq; },
    get highestSeq() { return outbox.highestSeq; },
    async enqueue(event: AgentEvent, also?: readonly OutboxAlsoPut[]) {
      if (++n === nth && when === 'before-write') throw new Error('killed');
      const seq = await outbox.enqueue(event, also);
      if (n === nth) throw new Error('killed');
      return seq;
    },
  };
}

describe('flight log sender', () => {
  it('sends a finished flight in 512 KiB chunks, the last with the size and SHA-256, and keeps the file until the hub has it all', async () => {
    const s = await site();
    const { db, outbox } = await s.openDb();
    const sender = await FlightLogSender.open({ db, outbox, clock, log });
    await sender.closed(s.flight);
    await sender.closed(s.flight); // handed over twice (e.g. again at start-up): still sent once
    expect(sender.isPending(s.flight.flightId)).toBe(true);
    await sender.sendPending();

    const got = await chunks(outbox);
    expect(got.map((c) => c.chunk.index)).toEqual([0, 1]);
    for (const { chunk } of got) expect(Value.Check(FlightLogChunk, chunk)).toBe(true);
    expect(got.map((c) => [c.chunk.offset, c.chunk.final])).toEqual([[0, false], [512 * 1024, true]]);
    expect(got[0]!.chunk.sha256).toBeUndefined();
    expect(got[1]!.chunk).toMatchObject({ totalBytes: fixture.length, sha256: fixtureSha, flightId: s.flight.flightId, startedAt: s.flight.startedAt, endedAt: s.flight.endedAt });
    expect(Buffer.concat(got.map((c) => Buffer.from(c.chunk.dataBase64, 'base64'))).equals(fixture)).toBe(true);

    // Queued is not received: the file may be rotated only once the hub acknowledged the final chunk.
    expect(sender.isPending(s.flight.flightId)).toBe(true);
    await outbox.ackUpTo(got[0]!.seq);
    expect(sender.isPending(s.flight.flightId)).toBe(true);
    await outbox.ackUpTo(got[1]!.seq);
    expect(sender.isPending(s.flight.flightId)).toBe(false);
    expect(sender.isPending(randomUUID())).toBe(true); // a flight it was never told about is kept
  });

  it.each([
    ['before the 4th chunk is written', 4, 'before-write'],
    ['just after the 4th chunk is written', 4, 'after-write'],
    ['just after the final chunk is written', 10, 'after-write'],
  ] as const)('killed %s, it resumes after a restart and queues every chunk exactly once', async (_what, nth, when) => {
    const s = await site();
    const first = await s.openDb();
    const settings = { chunkBytes: 64 * 1024 };
    const dying = await FlightLogSender.open({ db: first.db, outbox: dyingOutbox(first.outbox, nth, when), clock, log, settings });
    await dying.closed(s.flight);
    await expect(dying.sendPending()).rejects.toThrow('killed');
    await s.closeDb();

    const again = await s.openDb();
    const sender = await FlightLogSender.open({ db: again.db, outbox: again.outbox, clock, log, settings });
    expect(sender.isPending(s.flight.flightId)).toBe(true);
    await sender.sendPending();
    await sender.sendPending(); // nothing left to do: no duplicates either

    const got = await chunks(again.outbox);
    expect(got.map((c) => c.chunk.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got.filter((c) => c.chunk.final).map((c) => c.chunk.index)).toEqual([9]);
    expect(got.at(-1)!.chunk.sha256).toBe(fixtureSha);
    expect(Buffer.concat(got.map((c) => Buffer.from(c.chunk.dataBase64, 'base64'))).equals(fixture)).toBe(true);
    expect(sender.progress(s.flight.flightId)).toMatchObject({ chunks: 10, enqueued: 10 });

    await again.outbox.ackUpTo(again.outbox.highestSeq);
    expect(sender.isPending(s.flight.flightId)).toBe(false);
  });

  it('runs on its own once started, and a flight whose file vanished is reported and given up', async () => {
    const s = await site();
    const { db, outbox } = await s.openDb();
    const sender = await FlightLogSender.open({ db, outbox, clock, log });
    sender.start();
    try {
      await sender.closed(s.flight);
      await expect.poll(async () => (await chunks(outbox)).length).toBe(2);
      const gone = { ...s.flight, flightId: randomUUID(), path: join(s.dir, 'missing.tlog') };
      await sender.closed(gone);
      await expect.poll(() => sender.progress(gone.flightId)?.missing).toBe(true);
      expect(sender.isPending(gone.flightId)).toBe(false);
    } finally {
      await sender.stop();
    }
  });
});
