import dgram from 'node:dgram';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import { Collector } from './collector.ts';
import { DEFAULT_TLOG, SimulatedDrone } from './index.ts';

const FRAMES = 23_894;
let frames: Buffer[];
let stream: Buffer;

beforeAll(() => {
  frames = parseTlog(fs.readFileSync(DEFAULT_TLOG)).records.map((r) => r.frame);
  stream = Buffer.concat(frames);
  expect(frames).toHaveLength(FRAMES);
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function launch(options: Parameters<typeof SimulatedDrone.start>[0]): Promise<SimulatedDrone> {
  const drone = await SimulatedDrone.start(options);
  cleanups.push(() => drone.stop());
  return drone;
}

/** A UDP socket on 127.0.0.1 that keeps every datagram it gets. */
async function udpReceiver(): Promise<{ socket: dgram.Socket; port: number; got: Collector }> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const got = new Collector();
  socket.on('message', (msg) => got.push(msg));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { socket, port: socket.address().port, got };
}

function firstMismatch(got: Buffer[], want: Buffer[]): number {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const a = got[i];
    const b = want[i];
    if (a === undefined || b === undefined || !a.equals(b)) return i;
  }
  return -1;
}

describe('SimulatedDrone over UDP', () => {
  it('delivers every frame, one per datagram, byte-identical and in order at full speed', async () => {
    const rx = await udpReceiver();
    const drone = await launch({ transport: { kind: 'udp', host: '127.0.0.1', port: rx.port }, speed: Infinity });
    expect(drone.description).toBe(`udp://127.0.0.1:${rx.port}`);
    expect(await drone.done).toEqual({ frames: FRAMES, bytes: stream.length });
    await rx.got.untilChunks(FRAMES, 10_000);
    expect(firstMismatch(rx.got.chunks, frames)).toBe(-1);
  });

  it('as a UDP server, stays silent until a peer speaks, then streams to that peer', async () => {
    const drone = await launch({ transport: { kind: 'udp-server' }, speed: Infinity, maxRecords: 2_000 });
    const rx = await udpReceiver();
    expect(drone.port).toBeGreaterThan(0);
    expect(drone.sent.frames).toBe(0);
    rx.socket.send(Buffer.from('GCS heartbeat'), drone.port!, '127.0.0.1');
    expect((await drone.done).frames).toBe(2_000);
    await rx.got.untilChunks(2_000, 10_000);
    expect(firstMismatch(rx.got.chunks, frames.slice(0, 2_000))).toBe(-1);
  });

  it('at speed 1 takes as long as the recording did', async () => {
    const rx = await udpReceiver();
    const records = parseTlog(fs.readFileSync(DEFAULT_TLOG)).records;
    const slice = records.filter((r) => r.timeUs - records[0]!.timeUs <= 2_000_000n);
    const spanMs = Number(slice.at(-1)!.timeUs - slice[0]!.timeUs) / 1000;
    const started = performance.now();
    const drone = await launch({ transport: { kind: 'udp', host: '127.0.0.1', port: rx.port }, speed: 1, untilUs: 2_000_000 });
    const result = await drone.done;
    const elapsedMs = performance.now() - started;
    expect(result.frames).toBe(slice.length);
    // Never ahead of the recording; how far behind depends on the machine, so bound it loosely.
    expect(elapsedMs).toBeGreaterThanOrEqual(spanMs - 20);
    expect(elapsedMs).toBeLessThan(spanMs + 1_500);
    await rx.got.untilChunks(slice.length, 5_000);
    expect(firstMismatch(rx.got.chunks, frames.slice(0, slice.length))).toBe(-1);
  });

  it('at speed 4 takes a quarter of the recorded time', async () => {
    const rx = await udpReceiver();
    const started = performance.now();
    const drone = await launch({ transport: { kind: 'udp', host: '127.0.0.1', port: rx.port }, speed: 4, untilUs: 4_000_000 });
    const { frames: sent } = await drone.done;
    const elapsedMs = performance.now() - started;
    expect(elapsedMs).toBeGreaterThanOrEqual(4_000 / 4 - 30);
    expect(elapsedMs).toBeLessThan(4_000 / 4 + 1_500);
    await rx.got.untilChunks(sent, 5_000);
  });

  it('loops until stopped', async () => {
    const rx = await udpReceiver();
    const drone = await launch({ transport: { kind: 'udp', host: '127.0.0.1', port: rx.port }, speed: Infinity, loop: true, maxRecords: 100 });
    await rx.got.untilChunks(350, 10_000);
    const result = await drone.stop();
    expect(drone.passes).toBeGreaterThanOrEqual(3);
    expect(await drone.done).toEqual(result);
    const want = [...frames.slice(0, 100), ...frames.slice(0, 100), ...frames.slice(0, 100)];
    expect(firstMismatch(rx.got.chunks.slice(0, 300), want)).toBe(-1);
  });
});

describe('SimulatedDrone over TCP', () => {
  it('as a server, streams the whole log to a client that connects', async () => {
    const drone = await launch({ transport: { kind: 'tcp-server' }, speed: Infinity });
    expect(drone.description).toBe(`tcp server 127.0.0.1:${drone.port}`);
    const got = new Collector();
    const client = net.connect({ host: '127.0.0.1', port: drone.port! });
    cleanups.push(() => client.destroy());
    client.on('data', (chunk: Buffer) => got.push(chunk));
    expect(await drone.done).toEqual({ frames: FRAMES, bytes: stream.length });
    await got.untilBytes(stream.length, 10_000);
    expect(got.concat().equals(stream)).toBe(true);
  });

  it('as a client, streams the whole log into the connection', async () => {
    const got = new Collector();
    const server = net.createServer((socket) => socket.on('data', (chunk: Buffer) => got.push(chunk)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as net.AddressInfo).port;
    const drone = await launch({ transport: { kind: 'tcp-client', host: '127.0.0.1', port }, speed: Infinity });
    expect(await drone.done).toEqual({ frames: FRAMES, bytes: stream.length });
    await got.untilBytes(stream.length, 10_000);
    expect(got.concat().equals(stream)).toBe(true);
  });

  it('fails to start when nothing listens', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await expect(SimulatedDrone.start({ transport: { kind: 'tcp-client', host: '127.0.0.1', port } })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('SimulatedDrone over a serial pty', () => {
  it('writes the whole log to a pty the consumer reads like a serial port', async () => {
    const drone = await launch({ transport: { kind: 'pty' }, speed: Infinity });
    expect(drone.devicePath).toMatch(/device$/);
    const fd = fs.openSync(drone.devicePath!, fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
    const reader = new tty.ReadStream(fd);
    cleanups.push(() => reader.destroy());
    const got = new Collector();
    reader.on('data', (chunk: Buffer) => got.push(chunk));
    expect(await drone.done).toEqual({ frames: FRAMES, bytes: stream.length });
    await got.untilBytes(stream.length, 20_000);
    expect(got.concat().equals(stream)).toBe(true);
  });
});

describe('SimulatedDrone lifecycle', () => {
  it('stops cleanly before any peer appeared', async () => {
    const drone = await SimulatedDrone.start({ transport: { kind: 'tcp-server' } });
    expect(await drone.stop()).toEqual({ frames: 0, bytes: 0 });
    expect(await drone.done).toEqual({ frames: 0, bytes: 0 });
  });

  it('replays a damaged tlog, reporting what it skipped', async () => {
    const raw = fs.readFileSync(DEFAULT_TLOG);
    const cut = parseTlog(raw).records[125]!.offset;
    const damaged = Buffer.concat([raw.subarray(0, cut), Buffer.from('line noise'), raw.subarray(cut, 20_003)]);
    const rx = await udpReceiver();
    const drone = await launch({ tlog: damaged, transport: { kind: 'udp', host: '127.0.0.1', port: rx.port }, speed: Infinity });
    expect(drone.warnings.map((w) => w.kind)).toEqual(['junk', 'truncated']);
    const { frames: sent } = await drone.done;
    expect(sent).toBeGreaterThan(125);
    await rx.got.untilChunks(sent, 5_000);
    expect(firstMismatch(rx.got.chunks, frames.slice(0, sent))).toBe(-1);
  });
});
