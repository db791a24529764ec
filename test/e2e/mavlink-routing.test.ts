// The agent relays MAVLink like mavlink-router between three endpoints: a UDP server the
// drone sends to, a UDP client towards one ground station and a TCP server another ground
// station connects to. Real sockets on 127.0.0.1, a real hub for the `drones.links` report.

import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Agent } from '@sargs/agent';
import type { TcpServerEndpoint } from '@sargs/agent/drones/endpoints/tcp-server';
import type { UdpClientEndpoint } from '@sargs/agent/drones/endpoints/udp-client';
import type { UdpServerEndpoint } from '@sargs/agent/drones/endpoints/udp-server';
import type { RunningHub } from '@sargs/hub';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '@sargs/sim/drone/collector';
import { SimulatedDrone } from '@sargs/sim/drone/index';
import { hubWithAdmin, testAgent } from '../support/in-process';
import { buildFrame, seededRandom, splitFrames, tlogOf, towardsOtherSide, type FrameSpec } from '../support/mavlink-frames';
import { fixturesDir, tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

const v2Capture = splitFrames(readFileSync(join(fixturesDir, 'mavlink', 'mavlink-v2-3412-packets.bin')));
const v1Flight = parseTlog(readFileSync(join(fixturesDir, 'mavlink', 'arduplane-vtol-sitl.tlog'))).records.map((r) => r.frame);

async function udpSocket(): Promise<{ socket: dgram.Socket; port: number; got: Collector }> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const got = new Collector();
  socket.on('message', (msg) => got.push(msg));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, port: socket.address().port, got };
}

/** Frames one source sends in the three-way test: every shape the relay must pass unchanged. */
function framesFrom(sysid: number, compid: number, seed: number): Buffer[] {
  const rnd = seededRandom(seed);
  let seq = 0;
  const f = (spec: Omit<FrameSpec, 'sysid' | 'compid' | 'seq'>): Buffer => buildFrame({ ...spec, sysid, compid, seq: seq++ });
  const heartbeat = Buffer.from([0, 0, 0, 0, 6, 8, 0, 0, 3]);
  return [
    f({ version: 1, msgid: 0, payload: heartbeat }),
    f({ version: 2, msgid: 0, payload: heartbeat }),
    // SYS_STATUS with trailing zeros cut, as MAVLink 2 sends it.
    f({ version: 2, msgid: 1, payload: rnd.bytes(14) }),
    // Payloads full of start bytes must not confuse anyone downstream.
    f({ version: 2, msgid: 33, payload: Buffer.alloc(28, 0xfd) }),
    f({ version: 1, msgid: 30, payload: Buffer.alloc(28, 0xfe) }),
    // Message ids no registry knows: passed on with whatever CRC they carry.
    f({ version: 2, msgid: 0x0abc12, payload: rnd.bytes(40), crc: 0xbeef }),
    f({ version: 1, msgid: 8, payload: rnd.bytes(12), crc: 0x1234 }),
    // Signed frames keep their signature.
    f({ version: 2, msgid: 0, payload: heartbeat, signature: rnd.bytes(13) }),
    f({ version: 2, msgid: 0x0abc13, payload: rnd.bytes(7), signature: rnd.bytes(13), crc: 0x4242 }),
  ];
}

const key = (b: Buffer): string => b.toString('hex');
const sorted = (frames: Buffer[]): string[] => frames.map(key).sort();

describe('MAVLink routing between a drone and two ground stations', () => {
  const hubDir = tempDir('mavroute-hub');
  const agentDir = tempDir('mavroute-agent');
  let hub: RunningHub;
  let agent: Agent;
  let agentId: string;
  let gcsUdp: Awaited<ReturnType<typeof udpSocket>>;
  const gcsTcpGot = new Collector();
  let gcsTcp: net.Socket;
  let dronePort: number;
  let agentUdpClientPort: number;
  /** Frames the drone-side endpoint received, for the report check. */
  const droneSide = { frames: 0, unknownIds: 0 };

  beforeAll(async () => {
    const started = await hubWithAdmin(hubDir.path);
    hub = started.hub;
    const site = await started.admin.createSite('Drone field');
    agentId = site.agent.id;
    gcsUdp = await udpSocket();
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, agentDir.path, {
      drones: {
        endpoints: [
          { name: 'drone', kind: 'udp-server', host: '127.0.0.1', port: 0 },
          { name: 'gcs-udp', kind: 'udp-client', host: '127.0.0.1', port: gcsUdp.port },
          { name: 'gcs-tcp', kind: 'tcp-server', host: '127.0.0.1', port: 0 },
        ],
      },
    }));
    dronePort = (agent.drones.endpoint('drone') as UdpServerEndpoint).boundPort as number;
    agentUdpClientPort = (agent.drones.endpoint('gcs-udp') as UdpClientEndpoint).localPort as number;
    gcsTcp = net.connect({ host: '127.0.0.1', port: (agent.drones.endpoint('gcs-tcp') as TcpServerEndpoint).boundPort as number });
    gcsTcp.on('data', (chunk: Buffer) => gcsTcpGot.push(chunk));
    await waitFor('the TCP ground station attached', () => agent.drones.linkStats().find((l) => l.name === 'gcs-tcp')?.peers === 1);
    await waitFor('agent connected to the hub', () => agent.link.state === 'connected');
  });

  afterAll(async () => {
    gcsTcp?.destroy();
    gcsUdp?.socket.close();
    await agent?.stop();
    await hub?.close();
    agentDir.remove();
    hubDir.remove();
  });

  it('relays a real v2 capture and a real v1 flight from the drone to both ground stations, byte-identical and in order', async () => {
    const sent = [...v2Capture, ...v1Flight];
    const expected = towardsOtherSide(sent);
    // The learning is exercised: some real frames are addressed to the vehicle they came with,
    // so they do not go to the ground stations.
    expect(sent.length - expected.length).toBeGreaterThan(50);
    for (const frames of [v2Capture, v1Flight]) {
      const drone = await SimulatedDrone.start({ tlog: tlogOf(frames), transport: { kind: 'udp', host: '127.0.0.1', port: dronePort }, speed: Infinity });
      expect((await drone.done).frames).toBe(frames.length);
      await drone.stop();
    }
    await gcsUdp.got.untilChunks(expected.length, 20_000);
    await gcsTcpGot.untilBytes(expected.reduce((n, f) => n + f.length, 0), 20_000);
    // One datagram per frame on UDP, the same bytes as one stream on TCP.
    expect(gcsUdp.got.chunks.length).toBe(expected.length);
    expect(gcsUdp.got.chunks.findIndex((c, i) => !c.equals(expected[i] as Buffer))).toBe(-1);
    expect(gcsTcpGot.concat().equals(Buffer.concat(expected))).toBe(true);
    droneSide.frames += sent.length;
    droneSide.unknownIds += 14; // ids 8 and 411 in the v2 capture
    gcsUdp.got.chunks.length = 0;
    gcsTcpGot.chunks.length = 0;
  }, 120_000);

  it('sends every frame to the other two endpoints and never back to its source, unknown ids and signed frames unchanged', async () => {
    const vehicle = await udpSocket();
    try {
      const fromVehicle = framesFrom(1, 1, 1);
      const fromUdpGcs = framesFrom(255, 190, 2);
      const fromTcpGcs = framesFrom(254, 190, 3);
      // The UDP server learns the vehicle from its first datagram, so the vehicle speaks first.
      for (const f of fromVehicle) vehicle.socket.send(f, dronePort, '127.0.0.1');
      await gcsUdp.got.untilChunks(fromVehicle.length, 10_000);
      for (const f of fromUdpGcs) gcsUdp.socket.send(f, agentUdpClientPort, '127.0.0.1');
      await vehicle.got.untilChunks(fromUdpGcs.length, 10_000);
      gcsTcp.write(Buffer.concat(fromTcpGcs)); // one write: the agent must split the stream itself

      // Fences: once each source's last frame has reached the other two, anything the relay
      // sent before it (an echo included) has arrived too.
      const fence = (sysid: number): Buffer => buildFrame({ version: 2, msgid: 0, sysid, compid: 99, seq: 0, payload: Buffer.alloc(9, 1) });
      vehicle.socket.send(fence(1), dronePort, '127.0.0.1');
      gcsUdp.socket.send(fence(255), agentUdpClientPort, '127.0.0.1');
      gcsTcp.write(fence(254));
      const framesOf = (c: Collector, stream: boolean): Buffer[] => (stream ? splitFrames(c.concat()) : c.chunks);
      const hasFences = (c: Collector, stream: boolean, sysids: number[]): boolean => {
        const got = new Set(framesOf(c, stream).map(key));
        return sysids.every((s) => got.has(key(fence(s))));
      };
      await vehicle.got.until((c) => hasFences(c, false, [255, 254]), 10_000, 'fences at the vehicle');
      await gcsUdp.got.until((c) => hasFences(c, false, [1, 254]), 10_000, 'fences at the UDP ground station');
      await gcsTcpGot.until((c) => hasFences(c, true, [1, 255]), 10_000, 'fences at the TCP ground station');

      const withFences = (frames: Buffer[], sysid: number): Buffer[] => [...frames, fence(sysid)];
      expect(sorted(framesOf(vehicle.got, false))).toEqual(sorted([...withFences(fromUdpGcs, 255), ...withFences(fromTcpGcs, 254)]));
      expect(sorted(framesOf(gcsUdp.got, false))).toEqual(sorted([...withFences(fromVehicle, 1), ...withFences(fromTcpGcs, 254)]));
      expect(sorted(framesOf(gcsTcpGot, true))).toEqual(sorted([...withFences(fromVehicle, 1), ...withFences(fromUdpGcs, 255)]));
      // Each source's frames keep their order on the way.
      const tcpGot = framesOf(gcsTcpGot, true).map(key);
      expect(tcpGot.filter((k) => fromVehicle.map(key).includes(k))).toEqual(fromVehicle.map(key));
      droneSide.frames += fromVehicle.length + 1;
      droneSide.unknownIds += 3;
    } finally {
      vehicle.socket.close();
    }
  });

  it('reports every endpoint up, with its counters, when the hub asks (drones.links)', async () => {
    const { links } = await hub.agents.request(agentId, 'drones.links', {});
    expect(links.map((l) => [l.name, l.kind, l.up])).toEqual([['drone', 'udp-server', true], ['gcs-udp', 'udp-client', true], ['gcs-tcp', 'tcp-server', true]]);
    const drone = links[0];
    expect(drone?.counters).toMatchObject({ rxFrames: droneSide.frames, unknownIds: droneSide.unknownIds, crcErrors: 0, lengthErrors: 0, truncated: 0, droppedBytes: 0 });
    // Three UDP peers were heard on the drone port: the two simulated drone runs and the vehicle socket.
    expect(drone?.peers).toBe(3);
    expect(links[2]?.peers).toBe(1);
    expect(links[2]?.counters.txFrames).toBeGreaterThan(v1Flight.length);
  });
});
