import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightingSetup } from '@sargs/shared';
import { Level } from 'level';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LightingController } from './lighting-controller';
import { makeOutput } from './output-set';
import { SerialOutput } from './serial-output';
import { ArtnetReceiver, EnttecReader, SocatPair } from '../../../sim/dmx/receivers';

const T0 = Date.parse('2026-01-15T12:00:00Z');

/** The scene every test switches: a floodlight (4 channels) and an IR illuminator (1 channel). */
function setup(output: LightingSetup['outputs'][number]): LightingSetup {
  return {
    outputs: [output],
    fixtures: [
      { name: 'flood-north', universe: output.universe, startChannel: 10, channels: ['dimmer', 'red', 'green', 'blue'] },
      { name: 'ir-gate', universe: output.universe, startChannel: 20, channels: ['intensity'] },
    ],
    scenes: [{ name: 'yard', values: { 'flood-north': { dimmer: 255, red: 200, blue: 17 }, 'ir-gate': { intensity: 128 } } }],
  };
}
/** Channels 1–512 the scene should produce. */
const expected = (on: boolean) => {
  const f = new Uint8Array(512);
  if (on) { f[9] = 255; f[10] = 200; f[12] = 17; f[19] = 128; }
  return Array.from(f);
};

describe('lighting on the wire', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

  async function controller(s: LightingSetup, reconnect = { baseMs: 100, maxMs: 300 }) {
    const dir = mkdtempSync(join(tmpdir(), 'sargs-lighting-'));
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    await db.open();
    let now = T0;
    const events: { kind: string; data: Record<string, unknown> }[] = [];
    const c = await LightingController.open({
      db, log: pino({ level: 'silent' }), clock: { now: () => now }, fileSetup: s, timeZone: 'Europe/Riga',
      emitEvent: async (kind, data) => { events.push({ kind, data }); return events.length; },
      makeOutput: (spec, deps) => (spec.driver.startsWith('enttec') ? new SerialOutput(spec, deps, reconnect) : makeOutput(spec, deps)),
    });
    cleanups.push(async () => { await c.stop(); await db.close(); rmSync(dir, { recursive: true, force: true }); });
    return { c, events, advance: (ms: number) => { now += ms; } };
  }

  it('Art-Net: a receiver on loopback decodes ArtDmx packets carrying the scene, and the override expires', async () => {
    const rx = new ArtnetReceiver();
    await rx.start();
    cleanups.push(() => rx.stop());
    const { c, events, advance } = await controller(setup({ universe: 3, driver: 'artnet', host: '127.0.0.1', port: rx.port, refreshHz: 40 }));
    c.start();

    await expect.poll(() => rx.last(3)?.data.length).toBe(512);
    const dark = rx.last(3)!;
    expect(dark).toMatchObject({ id: 'Art-Net\0', opCode: 0x5000, protocolVersion: 14, physical: 0, universe: 3, length: 512 });
    expect(Array.from(dark.data)).toEqual(expected(false));

    const state = await c.override('yard', 'on', 30, 'alice');
    expect(state.scenes[0]).toMatchObject({ name: 'yard', on: true, cause: 'override', override: { state: 'on', by: 'alice', until: new Date(T0 + 30 * 60_000).toISOString() } });
    await expect.poll(() => Array.from(rx.last(3)?.data ?? [])).toEqual(expected(true));
    // Sequence numbers run 1–255 (0 would turn receivers' reordering off) and advance per packet.
    const seqs = rx.packets.slice(-5).map((p) => p.sequence);
    expect(seqs.every((s) => s >= 1 && s <= 255)).toBe(true);
    expect(new Set(seqs).size).toBeGreaterThan(1);
    expect(state.universes[0]).toMatchObject({ universe: 3, driver: 'artnet', target: `127.0.0.1:${rx.port}`, status: 'up', values: expected(true) });

    advance(30 * 60_000);
    await c.tick();
    await expect.poll(() => Array.from(rx.last(3)?.data ?? [])).toEqual(expected(false));
    expect(events.filter((e) => e.kind === 'lighting.switched').map((e) => e.data)).toEqual([
      { scene: 'yard', on: true, cause: 'override', by: 'alice', until: new Date(T0 + 30 * 60_000).toISOString() },
      { scene: 'yard', on: false, cause: 'override-expired' },
    ]);
  });

  it('Enttec DMX USB Pro: framed messages through a socat pty pair; unplugged is a health problem, re-plugged resumes output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sargs-dmx-pty-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pair = new SocatPair(join(dir, 'interface'), join(dir, 'test-end'));
    await pair.start();
    cleanups.push(() => pair.stop());
    let reader = new EnttecReader(pair.b);
    await reader.open();
    cleanups.push(() => reader.close());

    const { c, events } = await controller(setup({ universe: 1, driver: 'enttec-usb-dmx-pro', path: pair.a, refreshHz: 20 }));
    c.start();
    await c.override('yard', 'on', 60, 'bob');
    await expect.poll(() => reader.last && Array.from(reader.last.channels)).toEqual(expected(true));
    const f = reader.last!;
    expect(f).toMatchObject({ label: 6, length: 513, startCode: 0 });
    expect(reader.garbage).toBe(0);
    const out = () => c.state().then((s) => s.universes[0]!);
    expect(await out()).toMatchObject({ status: 'up', target: pair.a, problem: null });

    // Unplug: socat goes, the pty and its link vanish. The agent keeps running and says so.
    await reader.close();
    await pair.stop();
    expect(existsSync(pair.a)).toBe(false);
    await expect.poll(async () => (await out()).status).toBe('down');
    expect((await out()).problem).toMatch(/unplugged\?/);
    await expect.poll(() => events.filter((e) => e.kind === 'lighting.output').map((e) => e.data)).toEqual([
      { universe: 1, driver: 'enttec-usb-dmx-pro', target: pair.a, status: 'down', problem: expect.stringMatching(/unplugged\?/) },
    ]);

    // Plugged back in (a new pty behind the same path): the agent reopens it and the scene is sent again.
    await pair.start();
    reader = new EnttecReader(pair.b);
    await reader.open();
    await expect.poll(async () => (await out()).status, { timeout: 10_000 }).toBe('up');
    await expect.poll(() => reader.last && Array.from(reader.last.channels)).toEqual(expected(true));
    expect(reader.last).toMatchObject({ label: 6, length: 513, startCode: 0 });
    expect(events.filter((e) => e.kind === 'lighting.output').map((e) => e.data.status)).toEqual(['down', 'up']);
  });

  it('an interface missing at start is reported once, not on every retry, and is picked up when it appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sargs-dmx-pty-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pair = new SocatPair(join(dir, 'interface'), join(dir, 'test-end'));
    const { c, events } = await controller(setup({ universe: 1, driver: 'enttec-open-usb-dmx', path: pair.a }));
    c.start();
    await expect.poll(async () => (await c.state()).universes[0]?.problem).toBe(`no device at ${pair.a} (unplugged?)`);
    const output = c.output(1) as SerialOutput;
    await expect.poll(() => output.attempts, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    expect(output.opens).toBe(0);
    expect(events.map((e) => e.data.status)).toEqual(['down']);

    await pair.start();
    cleanups.push(() => pair.stop());
    await expect.poll(async () => (await c.state()).universes[0]?.status, { timeout: 10_000 }).toBe('up');
    expect(events.map((e) => [e.kind, e.data.status])).toEqual([['lighting.output', 'down'], ['lighting.output', 'up']]);
  });
});
