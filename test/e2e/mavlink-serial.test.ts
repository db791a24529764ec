// The agent's serial endpoint over a real pseudo-terminal pair (socat), as a telemetry radio
// on /dev/ttyUSB0 would be: frames both ways, and the radio unplugged (socat killed) and
// plugged back in (a new socat on the same device path) without the agent falling over.

import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import fs, { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tty from 'node:tty';
import type { Agent } from '@sargs/agent';
import type { SerialEndpoint } from '@sargs/agent/drones/endpoints/serial';
import type { UdpClientEndpoint } from '@sargs/agent/drones/endpoints/udp-client';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '@sargs/sim/drone/collector';
import { withTimeout } from '@sargs/sim/drone/sink';
import { testAgent } from '../support/in-process';
import { buildFrame, splitFrames, towardsOtherSide } from '../support/mavlink-frames';
import { fixturesDir, tempDir } from '../support/paths';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

const flight = parseTlog(readFileSync(join(fixturesDir, 'mavlink', 'arducopter-auto-mission-2013-10-13-165851.tlog'))).records.map((r) => r.frame);

/** socat joining two ptys: `radio` is the drone's side, `device` what the agent opens. */
async function startSocat(radio: string, device: string): Promise<ChildProcess> {
  const proc = spawn('/usr/bin/socat', ['-d', '-d', `pty,raw,echo=0,link=${radio}`, `pty,raw,echo=0,link=${device}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const ready = new Promise<void>((resolve, reject) => {
    proc.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('starting data transfer loop')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`socat exited (${code}): ${log}`)));
  });
  await withTimeout(ready, 10_000, 'socat start');
  return proc;
}

interface RadioEnd {
  write(bytes: Buffer): void;
  got: Collector;
  close(): Promise<void>;
}

/** The drone's side of the pty pair, read and written like the radio's UART. */
function openRadio(path: string): RadioEnd {
  // O_NOCTTY: the test process must not adopt the pty as its controlling terminal.
  const reader = new tty.ReadStream(fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOCTTY));
  const writer = fs.createWriteStream(path, { fd: fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NOCTTY) });
  const got = new Collector();
  reader.on('data', (c: Buffer) => got.push(c));
  reader.on('error', () => undefined);
  writer.on('error', () => undefined);
  return {
    write: (bytes) => { writer.write(bytes); },
    got,
    async close() {
      reader.destroy();
      await new Promise<void>((resolve) => writer.end(() => resolve()));
    },
  };
}

describe('MAVLink over a serial device', () => {
  const dir = tempDir('mavserial');
  const radioPath = join(dir.path, 'radio');
  const devicePath = join(dir.path, 'ttyUSB0');
  let socat: ChildProcess | undefined;
  let agent: Agent;
  let logs: Record<string, unknown>[];
  let gcs: dgram.Socket;
  const gcsGot = new Collector();

  beforeAll(async () => {
    socat = await startSocat(radioPath, devicePath);
    gcs = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    gcs.on('message', (m) => gcsGot.push(m));
    gcs.bind(0, '127.0.0.1');
    await once(gcs, 'listening');
    // No hub listens here: the agent must relay on its own, with the hub unreachable.
    ({ agent, logs } = await testAgent(`http://127.0.0.1:${await freePort()}`, 'x'.repeat(32), join(dir.path, 'agent'), {
      drones: {
        endpoints: [
          { name: 'radio', kind: 'serial', device: devicePath, baud: 57_600 },
          { name: 'gcs', kind: 'udp-client', host: '127.0.0.1', port: gcs.address().port },
        ],
        reconnect: { baseMs: 50, maxMs: 200 },
      },
    }));
  });

  afterAll(async () => {
    await agent?.stop();
    gcs?.close();
    socat?.kill('SIGKILL');
    dir.remove();
  });

  const radioLink = () => agent.drones.linkStats().find((l) => l.name === 'radio');

  it('relays a real flight from the radio to the ground station and the ground station\'s frames back to the radio', async () => {
    expect(radioLink()?.up).toBe(true);
    const radio = openRadio(radioPath);
    try {
      const frames = flight.slice(0, 1_000);
      const expected = towardsOtherSide(frames);
      // One write: the agent reads the byte stream in whatever pieces the pty delivers.
      radio.write(Buffer.concat(frames));
      await gcsGot.untilChunks(expected.length, 30_000);
      expect(gcsGot.chunks.length).toBe(expected.length);
      expect(gcsGot.chunks.findIndex((c, i) => !c.equals(expected[i] as Buffer))).toBe(-1);

      const agentPort = (agent.drones.endpoint('gcs') as UdpClientEndpoint).localPort as number;
      const fromGcs = Array.from({ length: 20 }, (_, seq) => buildFrame({ version: 2, msgid: 0, sysid: 255, compid: 190, seq, payload: Buffer.from([0, 0, 0, 0, 6, 8, 0, 0, 3]) }));
      for (const f of fromGcs) gcs.send(f, agentPort, '127.0.0.1');
      await radio.got.untilBytes(Buffer.concat(fromGcs).length, 10_000);
      expect(splitFrames(radio.got.concat()).map((f) => f.toString('hex'))).toEqual(fromGcs.map((f) => f.toString('hex')));
      expect(radioLink()?.counters).toMatchObject({ rxFrames: frames.length, crcErrors: 0, droppedBytes: 0, txFrames: fromGcs.length });
    } finally {
      await radio.close();
    }
  });

  it('marks the link down when the radio is unplugged, keeps relaying the rest, and reopens it when the radio returns', async () => {
    const serial = agent.drones.endpoint('radio') as SerialEndpoint;
    const opensBefore = serial.opens;
    socat?.kill('SIGKILL'); // an unplugged radio: the device vanishes without a goodbye
    await once(socat as ChildProcess, 'exit');
    await waitFor('link down', () => radioLink()?.up === false);
    expect(radioLink()?.error).toBeTruthy();
    expect(logs.some((l) => l.msg === 'serial device gone, link down')).toBe(true);

    // The agent keeps working meanwhile: the ground station's frames are still taken in.
    const agentPort = (agent.drones.endpoint('gcs') as UdpClientEndpoint).localPort as number;
    const before = agent.drones.linkStats().find((l) => l.name === 'gcs')?.counters.rxFrames ?? 0;
    gcs.send(buildFrame({ version: 1, msgid: 0, sysid: 255, compid: 190, seq: 1, payload: Buffer.alloc(9) }), agentPort, '127.0.0.1');
    await waitFor('gcs frame counted', () => (agent.drones.linkStats().find((l) => l.name === 'gcs')?.counters.rxFrames ?? 0) > before);
    // Several reopen attempts fail while the device is missing, none crashes anything.
    await waitFor('reopen attempts', () => logs.filter((l) => l.msg === 'cannot reopen serial device').length >= 1);

    socat = await startSocat(radioPath, devicePath);
    await waitFor('link back up', () => serial.opens > opensBefore && radioLink()?.up === true, 15_000);
    const radio = openRadio(radioPath);
    try {
      gcsGot.chunks.length = 0;
      const frames = flight.slice(1_000, 2_000);
      const expected = towardsOtherSide(frames);
      radio.write(Buffer.concat(frames));
      await gcsGot.untilChunks(expected.length, 30_000);
      expect(gcsGot.chunks.findIndex((c, i) => !c.equals(expected[i] as Buffer))).toBe(-1);
    } finally {
      await radio.close();
    }
  });
});
