import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import { FlightLogChunk, VehicleLinkEvent, type VehicleList } from '@sargs/shared/protocol/drones';
import { Value } from '@sinclair/typebox/value';
import { Level } from 'level';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/paths';
import { freePort } from '../../../test/support/ports';
import { Outbox } from '../hub-link/outbox';
import { DroneManager } from './drone-manager';
import { globalPosition, heartbeat } from '../../../test/support/drone-frames';
import { VehicleServices } from './vehicle-services';

const log = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

describe('vehicle services behind the real relay', () => {
  it('turns a short flight sent over UDP into live telemetry, a flight log in the outbox and a link-lost event', async () => {
    const dir = tempDir('vehicle-services');
    cleanups.push(() => dir.remove());
    const db = new Level<string, unknown>(join(dir.path, 'agent.db'), { valueEncoding: 'json' });
    await db.open();
    cleanups.push(() => db.close());
    const outbox = await Outbox.open(db);
    const clock = { now: () => Date.now() };
    const live: VehicleList[] = [];
    const services = await VehicleServices.open({
      db, outbox, clock, log, sendLive: (l) => { live.push(l); return true; },
      emitEvent: (kind, data) => outbox.enqueue({ kind, at: new Date().toISOString(), data }),
      settings: { tlogDir: join(dir.path, 'tlogs'), tlogBudgetBytes: 64 * 1024 * 1024, preArmMs: 30_000, flightEndAfterLostMs: 120_000 },
    });
    const port = await freePort();
    const drones = new DroneManager({ endpoints: [{ name: 'radio', kind: 'udp-server', host: '127.0.0.1', port }], log, clock });
    drones.addConsumer(services.tracker);
    await services.start();
    await drones.start();
    cleanups.push(async () => { await drones.stop(); await services.stop(); });

    const sock = dgram.createSocket('udp4');
    cleanups.push(() => new Promise<void>((r) => sock.close(() => r())));
    const sent: Buffer[] = [];
    let seq = 0;
    const send = async (frame: Buffer) => {
      sent.push(frame);
      await new Promise<void>((resolve, reject) => sock.send(frame, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    };
    const pause = () => new Promise((r) => setTimeout(r, 20));
    // On the ground, armed for 60 positions while climbing to 30 m, then disarmed.
    for (let i = 0; i < 10; i++) { await send(heartbeat({ seq: seq++ })); await pause(); }
    await send(heartbeat({ seq: seq++, armed: true }));
    for (let i = 0; i < 60; i++) {
      await send(globalPosition({ seq: seq++, lat: 52.1 + i / 1e5, lon: 5.1, relAltM: i / 2 }));
      if (i % 10 === 9) await send(heartbeat({ seq: seq++, armed: true }));
      await pause();
    }
    // Hovering at the top for a few telemetry periods: the live view is lossy and only ever
    // shows the newest state, so a climb shorter than one period might never be seen in the air.
    for (let i = 0; i < 8; i++) {
      await send(heartbeat({ seq: seq++, armed: true }));
      await send(globalPosition({ seq: seq++, lat: 52.1006, lon: 5.1, relAltM: 30 }));
      await new Promise((r) => setTimeout(r, 200));
    }
    await send(heartbeat({ seq: seq++ }));
    const lastHeartbeat = Date.now();

    // The hub's live view saw the vehicle armed and up in the air.
    await expect.poll(() => live.some((l) => l.vehicles[0]?.armed && (l.vehicles[0].altRelM ?? 0) > 20)).toBe(true);

    // The flight, from the ground heartbeats before arming to the disarm, is in the outbox whole.
    const chunks = async () => (await outbox.after(0, 100)).filter((e) => e.event.kind === 'flight.log').map((e) => e.event.data as FlightLogChunk);
    await expect.poll(async () => (await chunks()).some((c) => c.final)).toBe(true);
    const got = await chunks();
    for (const c of got) expect(Value.Check(FlightLogChunk, c)).toBe(true);
    const tlog = Buffer.concat(got.map((c) => Buffer.from(c.dataBase64, 'base64')));
    expect(got.at(-1)!.sha256).toBe(createHash('sha256').update(tlog).digest('hex'));
    expect(parseTlog(tlog).records.map((r) => r.frame.toString('hex'))).toEqual(sent.map((f) => f.toString('hex')));

    // Heartbeats stopped: the link is reported lost 3.5–5 s later, through the outbox.
    const linkEvent = async () => (await outbox.after(0, 100)).find((e) => e.event.kind === 'vehicle.link');
    const lost = await expect.poll(linkEvent, { timeout: 8000 }).toBeDefined().then(linkEvent);
    expect(Value.Check(VehicleLinkEvent, lost!.event.data)).toBe(true);
    expect(lost!.event.data).toMatchObject({ state: 'lost', vehicleKey: 'sys1' });
    const after = Date.parse(lost!.event.at) - lastHeartbeat;
    expect(after).toBeGreaterThanOrEqual(3400); // event time is stamped in ms; the loss is judged from receive time
    expect(after).toBeLessThan(5000);
  });
});
