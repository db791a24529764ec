import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlightLogChunk } from '@sargs/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubStore } from '../store/hub-store';
import type { AgentRecord } from '../store/records';
import { analyseTlog } from './flight-analysis';
import { FlightLogAssembler, type ChunkOutcome } from './flight-log-assembler';
import { FlightStore, type TlogMeta } from './flight-store';
import { Logbook } from './logbook';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/mavlink/', import.meta.url));
const VTOL = readFileSync(join(FIXTURES, 'arduplane-vtol-sitl.tlog'));
const CHUNK = 128 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Cuts a tlog into `flight.log` chunks the way an agent's sender does. */
function chunksOf(bytes: Buffer, flightId = randomUUID()): FlightLogChunk[] {
  const out: FlightLogChunk[] = [];
  for (let offset = 0, index = 0; offset < bytes.length; offset += CHUNK, index++) {
    const part = bytes.subarray(offset, offset + CHUNK);
    const final = offset + CHUNK >= bytes.length;
    out.push({
      flightId, vehicleKey: 'sys1', systemId: 1, index, offset, dataBase64: part.toString('base64'), final,
      startedAt: '2018-08-08T14:06:01.000Z',
      ...(final ? { totalBytes: bytes.length, sha256: sha(bytes), endedAt: '2018-08-08T14:09:29.000Z' } : {}),
    });
  }
  return out;
}

/** One hub's worth of logbook over a LevelDB that outlives it, like a hub restarting on its data dir. */
async function openHub(dbPath: string) {
  const store = await HubStore.open(dbPath);
  const flights = new FlightStore(store.database);
  const logbook = new Logbook({ flights, analyse: analyseTlog, log: silent });
  const rejected: { meta: TlogMeta; reason: string }[] = [];
  const assembler = new FlightLogAssembler({
    flights, events: store, log: silent,
    file: (m) => logbook.fileTlog(m),
    rejected: async (meta, reason) => { rejected.push({ meta, reason }); },
  });
  let seq = (await store.getAgent('ag1'))?.lastSeq ?? 0;
  const agent = (lastSeq: number, id = 'ag1'): AgentRecord => ({
    id, siteId: 'site1', name: 'Field gateway', tokenHash: 'x', createdAt: '2026-01-01T00:00:00Z',
    revoked: false, lastSeen: null, version: null, hostname: null, lastSeq,
  });
  /** What the agent gateway does with an outbox event: store it, then hand it to the handler. */
  const store_ = async (c: FlightLogChunk) => {
    seq++;
    await store.appendEvent({ agentId: 'ag1', seq, receivedAt: new Date().toISOString(), event: { kind: 'flight.log', at: c.startedAt, data: c } });
    return seq;
  };
  const deliver = async (c: FlightLogChunk): Promise<ChunkOutcome> => {
    const s = await store_(c);
    return assembler.handle(agent(s - 1), c);
  };
  return { store, flights, logbook, assembler, rejected, deliver, storeOnly: store_, agent, close: () => store.close() };
}

describe('flight log assembly from agent chunks', () => {
  let dir: string;
  let dbPath: string;
  let hub: Awaited<ReturnType<typeof openHub>>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sargs-flightlog-'));
    dbPath = join(dir, 'hub.db');
    await HubStore.open(dbPath).then(async (s) => {
      await s.putAgent({ id: 'ag1', siteId: 'site1', name: 'Field gateway', tokenHash: 'x', createdAt: '2026-01-01T00:00:00Z', revoked: false, lastSeen: null, version: null, hostname: null, lastSeq: 0 });
      await s.close();
    });
    hub = await openHub(dbPath);
  });
  afterEach(async () => { await hub.close(); rmSync(dir, { recursive: true, force: true }); });

  it('files the flight once every chunk is in, keeping the tlog byte for byte', async () => {
    const chunks = chunksOf(VTOL);
    expect(chunks.length).toBeGreaterThan(5);
    const outcomes = [];
    for (const c of chunks) outcomes.push(await hub.deliver(c));
    expect(outcomes.slice(0, -1).map((o) => o.kind)).toEqual(Array(chunks.length - 1).fill('stored'));
    expect(outcomes.at(-1)?.kind).toBe('filed');
    const { flights } = await hub.logbook.list();
    expect(flights).toHaveLength(1);
    expect(flights[0]).toMatchObject({ source: 'agent', agentId: 'ag1', siteId: 'site1', systemId: 1, tlogBytes: VTOL.length, tlogSha256: sha(VTOL) });
    expect(flights[0]!.durationS).toBeGreaterThan(100);
    expect(sha(await hub.flights.readTlog(chunks[0]!.flightId))).toBe(sha(VTOL));
  });

  it('ignores a chunk it already holds, so a resend changes nothing', async () => {
    const chunks = chunksOf(VTOL);
    await hub.deliver(chunks[0]!);
    await hub.deliver(chunks[1]!);
    expect((await hub.deliver(chunks[1]!)).kind).toBe('duplicate');
    expect((await hub.deliver(chunks[0]!)).kind).toBe('duplicate');
    for (const c of chunks.slice(2)) await hub.deliver(c);
    // Resending after filing is just as harmless.
    expect((await hub.deliver(chunks.at(-1)!)).kind).toBe('duplicate');
    expect((await hub.logbook.list()).flights).toHaveLength(1);
    expect(sha(await hub.flights.readTlog(chunks[0]!.flightId))).toBe(sha(VTOL));
    expect(hub.rejected).toEqual([]);
  });

  it('refuses a chunk that skips ahead, stores nothing of it and reports the log; a restart from chunk 0 is taken', async () => {
    const chunks = chunksOf(VTOL);
    await hub.deliver(chunks[0]!);
    const skipped = await hub.deliver(chunks[2]!);
    expect(skipped).toMatchObject({ kind: 'rejected', reason: 'chunk 1 never arrived (got chunk 2)' });
    expect(hub.rejected.map((r) => r.reason)).toEqual(['chunk 1 never arrived (got chunk 2)']);
    expect((await hub.flights.readTlog(chunks[0]!.flightId)).length).toBe(CHUNK);
    // The rest of a refused log is not stored either: no half-file is ever filed.
    for (const c of chunks.slice(3)) expect((await hub.deliver(c)).kind).toBe('duplicate');
    expect((await hub.logbook.list()).flights).toEqual([]);

    for (const c of chunks) await hub.deliver(c);
    expect((await hub.logbook.list()).flights).toHaveLength(1);
    expect(sha(await hub.flights.readTlog(chunks[0]!.flightId))).toBe(sha(VTOL));
  });

  it('refuses a chunk whose byte offset does not follow on', async () => {
    const chunks = chunksOf(VTOL);
    await hub.deliver(chunks[0]!);
    const r = await hub.deliver({ ...chunks[1]!, offset: CHUNK + 10 });
    expect(r).toMatchObject({ kind: 'rejected', reason: `chunk 1 starts at byte ${CHUNK + 10}, expected ${CHUNK}` });
  });

  it('files nothing when the SHA-256 or the size does not match, and says so', async () => {
    const chunks = chunksOf(VTOL);
    const last = chunks.length - 1;
    chunks[last] = { ...chunks[last]!, sha256: sha(Buffer.from('something else')) };
    for (const c of chunks) await hub.deliver(c);
    expect(hub.rejected).toHaveLength(1);
    expect(hub.rejected[0]!.reason).toMatch(/^SHA-256 mismatch: the agent says [0-9a-f]{64}, the bytes held hash to [0-9a-f]{64}$/);
    expect((await hub.flights.getTlog(chunks[0]!.flightId))?.state).toBe('rejected');

    const other = chunksOf(VTOL);
    other[other.length - 1] = { ...other.at(-1)!, totalBytes: VTOL.length + 1 };
    for (const c of other) await hub.deliver(c);
    expect(hub.rejected[1]!.reason).toBe(`size mismatch: the agent sent ${VTOL.length + 1} bytes by its count, the hub holds ${VTOL.length}`);
    expect((await hub.logbook.list()).flights).toEqual([]);
  });

  it('refuses chunks for a log another agent is sending', async () => {
    const chunks = chunksOf(VTOL);
    await hub.deliver(chunks[0]!);
    const r = await hub.assembler.handle(hub.agent(99, 'intruder'), chunks[1]!);
    expect(r).toEqual({ kind: 'refused', reason: `flight log ${chunks[0]!.flightId} belongs to another agent` });
    expect((await hub.flights.getTlog(chunks[0]!.flightId))?.chunks).toBe(1);
  });

  it('resumes across a hub restart: half the chunks before, half after, the same bytes filed', async () => {
    const chunks = chunksOf(VTOL);
    const half = Math.floor(chunks.length / 2);
    for (const c of chunks.slice(0, half)) await hub.deliver(c);
    await hub.close();
    hub = await openHub(dbPath);
    await hub.assembler.start();
    expect((await hub.flights.getTlog(chunks[0]!.flightId))).toMatchObject({ state: 'receiving', chunks: half });
    for (const c of chunks.slice(half)) await hub.deliver(c);
    expect((await hub.logbook.list()).flights).toHaveLength(1);
    expect(sha(await hub.flights.readTlog(chunks[0]!.flightId))).toBe(sha(VTOL));
  });

  it('recovers chunks whose events were stored but never applied when the hub stopped in between', async () => {
    const chunks = chunksOf(VTOL);
    await hub.deliver(chunks[0]!);
    // The gateway stored these events, then the hub stopped before handing them over.
    await hub.storeOnly(chunks[1]!);
    await hub.storeOnly(chunks[2]!);
    await hub.close();
    hub = await openHub(dbPath);
    await hub.assembler.start();
    expect((await hub.flights.getTlog(chunks[0]!.flightId))?.chunks).toBe(3);
    for (const c of chunks.slice(3)) await hub.deliver(c);
    expect(hub.rejected).toEqual([]);
    expect(sha(await hub.flights.readTlog(chunks[0]!.flightId))).toBe(sha(VTOL));
    expect((await hub.logbook.list()).flights).toHaveLength(1);
  });

  it('files at start-up a log whose final chunk was stored but never applied', async () => {
    const chunks = chunksOf(VTOL);
    for (const c of chunks.slice(0, -1)) await hub.deliver(c);
    await hub.storeOnly(chunks.at(-1)!);
    await hub.close();
    hub = await openHub(dbPath);
    expect((await hub.logbook.list()).flights).toEqual([]);
    await hub.assembler.start();
    expect((await hub.flights.getTlog(chunks[0]!.flightId))?.state).toBe('filed');
    expect((await hub.logbook.list()).flights).toHaveLength(1);
  });

  it('a gap whose missing chunk is among the stored events is filled from them, not refused', async () => {
    const chunks = chunksOf(VTOL);
    await hub.deliver(chunks[0]!);
    await hub.storeOnly(chunks[1]!); // stored, handler cut short
    expect((await hub.deliver(chunks[2]!)).kind).toBe('duplicate'); // applied by the catch-up, in order
    for (const c of chunks.slice(3)) await hub.deliver(c);
    expect(hub.rejected).toEqual([]);
    expect(sha(await hub.flights.readTlog(chunks[0]!.flightId))).toBe(sha(VTOL));
  });

  it('refuses data that does not fit the chunk schema without touching any log', async () => {
    expect(await hub.assembler.handle(hub.agent(0), { flightId: 'not-a-uuid', index: 0 })).toEqual({ kind: 'refused', reason: 'flight.log event with invalid data' });
    expect(await hub.flights.listTlogs()).toEqual([]);
  });
});
