import { MissionVehicle, openGroundPort, type StoredItem } from '../../../sim/drone/mission-vehicle';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { FrameConsumer } from './frame-consumer';
import type { MissionItem } from '@sargs/shared/survey/mission-items';
import { decodeMissionFrame, MavlinkWriter, message } from './mission-codec';
import { MissionTransfer, MissionTransferError, type MissionPort } from './mission-transfer';

const log = pino({ level: 'silent' });
// Short waits keep a lossy run to a few seconds; the defaults (1500/250 ms) are what ships.
const FAST = { timeoutMs: 400, itemTimeoutMs: 120 };

/** A survey-like mission: home, takeoff, a camera trigger distance, a lawnmower of waypoints, RTL. */
function surveyItems(waypoints: number): MissionItem[] {
  const base = { param1: 0, param2: 0, param3: 0, param4: 0, autocontinue: true };
  const items: MissionItem[] = [
    { ...base, command: 16, frame: 0, lat: 47.3977419, lon: 8.5455938, alt: 488 },
    { ...base, command: 22, frame: 3, param1: 15, lat: 47.3977419, lon: 8.5455938, alt: 50 },
    { ...base, command: 206, frame: 2, param1: 27.35, param3: 1, lat: 0, lon: 0, alt: 0 },
  ];
  for (let i = 0; i < waypoints; i++) {
    items.push({ ...base, command: 16, frame: 3, lat: 47.3977419 + i * 0.00031, lon: 8.5455938 + (i % 2) * 0.0042, alt: 50 });
  }
  items.push({ ...base, command: 206, frame: 2, lat: 0, lon: 0, alt: 0 }, { ...base, command: 20, frame: 2, lat: 0, lon: 0, alt: 0 });
  return items;
}

/** What the vehicle must hold for our items: positions as degrees × 1e7 in global frames, params as float32. */
function expectedStored(items: MissionItem[]): StoredItem[] {
  return items.map((it, seq) => {
    const scale = [0, 3, 5, 6, 10, 11].includes(it.frame) ? 1e7 : 1;
    return {
      seq, frame: it.frame, command: it.command, autocontinue: it.autocontinue ? 1 : 0,
      param1: Math.fround(it.param1), param2: Math.fround(it.param2), param3: Math.fround(it.param3), param4: Math.fround(it.param4),
      x: Math.round(it.lat * scale), y: Math.round(it.lon * scale), z: Math.fround(it.alt), via: 'int',
    };
  });
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => { while (cleanup.length) await cleanup.pop()!(); });

async function link(opts: Parameters<typeof MissionVehicle.start>[0]) {
  const vehicle = await MissionVehicle.start({ heartbeatMs: 0, ...opts });
  const port = await openGroundPort({ port: vehicle.port });
  cleanup.push(() => vehicle.stop(), () => port.close());
  return { vehicle, port };
}

describe('mission transfer over real UDP', () => {
  it('uploads through 20 % random loss each way; the vehicle holds exactly our items, and downloads them back', async () => {
    const { vehicle, port } = await link({ dropRate: 0.2, seed: 20260, rerequestMs: 130 });
    const items = surveyItems(40);
    const transfer = new MissionTransfer({ port, log }, FAST);

    const up = await transfer.upload(1, items);
    expect(up.count).toBe(items.length);
    expect(vehicle.mission).toEqual(expectedStored(items));
    // The loss really happened, both ways, and was recovered from.
    expect(vehicle.stats.droppedIn).toBeGreaterThan(3);
    expect(vehicle.stats.droppedOut).toBeGreaterThan(3);

    const down = await transfer.download(1);
    expect(down.items).toHaveLength(items.length);
    down.items.forEach((got, i) => {
      const want = items[i]!;
      expect(got).toMatchObject({ command: want.command, frame: want.frame, autocontinue: want.autocontinue, alt: Math.fround(want.alt), param1: Math.fround(want.param1) });
      expect(got.lat).toBeCloseTo(want.lat, 7);
      expect(got.lon).toBeCloseTo(want.lon, 7);
    });
    expect(vehicle.stats.droppedIn + vehicle.stats.droppedOut).toBeGreaterThan(10);
  });

  it('names the item the vehicle rejected and its MAV_MISSION_RESULT, even through loss', async () => {
    const { vehicle, port } = await link({ dropRate: 0.2, seed: 99, rerequestMs: 130, reject: { item: 7, result: 6 } });
    const before = vehicle.mission;
    const err = await new MissionTransfer({ port, log }, FAST).upload(1, surveyItems(10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissionTransferError);
    expect(err).toMatchObject({ reason: 'rejected', item: 7, result: 'MAV_MISSION_INVALID_PARAM1' });
    expect((err as Error).message).toBe('the vehicle rejected item 7: MAV_MISSION_INVALID_PARAM1');
    expect(vehicle.mission).toBe(before);
  });

  it('answers a vehicle that asks with legacy MISSION_REQUEST using MISSION_ITEM_INT, as the spec says', async () => {
    const { vehicle, port } = await link({ legacyRequests: true });
    const items = surveyItems(3);
    await new MissionTransfer({ port, log }, FAST).upload(1, items);
    expect(vehicle.mission).toEqual(expectedStored(items));
  });

  it('gives up on a silent vehicle after 1 try + 5 retries and says what it was waiting for', async () => {
    const { vehicle, port } = await link({ dropRate: 1 });
    const started = Date.now();
    const err = await new MissionTransfer({ port, log }, { timeoutMs: 80 }).upload(1, surveyItems(2)).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'timeout', item: 0 });
    expect((err as Error).message).toMatch(/at item 0: no answer from vehicle 1 after 6 tries 80 ms apart \(waiting for its request for item 0\)/);
    expect(vehicle.stats.droppedIn).toBe(6);
    expect(Date.now() - started).toBeGreaterThanOrEqual(6 * 80 - 5);
  });

  it('refuses a second transfer with the same vehicle while one runs', async () => {
    const { port } = await link({});
    const transfer = new MissionTransfer({ port, log }, FAST);
    const first = transfer.upload(1, surveyItems(5));
    await expect(transfer.download(1)).rejects.toMatchObject({ reason: 'busy' });
    await first;
    expect((await transfer.download(1)).items).toHaveLength(10);
  });
});

/** A scripted vehicle on an in-memory port: answers the first `answer` item requests of a download, then falls silent. */
function scriptedVehicle(count: number, answer: number): MissionPort & { sent: string[] } {
  const consumers = new Set<FrameConsumer>();
  const writer = new MavlinkWriter(1, 1);
  const gcs = { targetSystem: 255, targetComponent: 190 };
  const sent: string[] = [];
  const reply = (raw: Buffer) => queueMicrotask(() => {
    const header = { version: 2 as const, len: raw[1]!, seq: raw[4]!, sysid: 1, compid: 1, msgid: raw.readUIntLE(7, 3), signed: false };
    for (const c of consumers) c.handle({ raw, header, endpoint: 'mem', atMs: Date.now() });
  });
  return {
    sent,
    send: (raw) => {
      const m = decodeMissionFrame(raw);
      if (!m) return;
      sent.push(m.name === 'MISSION_REQUEST_INT' ? `${m.name} ${m.msg.seq}` : m.name);
      if (m.name === 'MISSION_REQUEST_LIST') reply(writer.encode(message('MISSION_COUNT', { ...gcs, count, missionType: 0, opaqueId: 0 })));
      if (m.name === 'MISSION_REQUEST_INT' && m.msg.seq < answer) {
        reply(writer.encode(message('MISSION_ITEM_INT', { ...gcs, seq: m.msg.seq, frame: 3, command: 16, autocontinue: 1, x: 473977419, y: 85455938, z: 50, missionType: 0 })));
      }
    },
    subscribe: (c) => { consumers.add(c); return () => consumers.delete(c); },
  };
}

describe('mission download timeouts', () => {
  it('re-asks for a missing item every itemTimeoutMs and fails naming that item', async () => {
    const port = scriptedVehicle(8, 5);
    const err = await new MissionTransfer({ port, log }, { timeoutMs: 200, itemTimeoutMs: 20 }).download(1).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'timeout', item: 5 });
    expect((err as Error).message).toMatch(/mission download failed at item 5: .* after 6 tries 20 ms apart \(waiting for item 5 of 8\)/);
    expect(port.sent.filter((s) => s === 'MISSION_REQUEST_INT 5')).toHaveLength(6);
  });

  it('a port without a link fails at once as unreachable', async () => {
    const port: MissionPort = { send: () => { throw new Error('no link to vehicle 3'); }, subscribe: () => () => undefined };
    await expect(new MissionTransfer({ port, log }).download(3)).rejects.toMatchObject({ reason: 'unreachable', message: 'mission download failed: no link to vehicle 3' });
  });
});
