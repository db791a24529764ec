// What relaying MAVLink costs: the agent's relay (DroneManager: UDP server in, UDP client
// out, header + CRC check per frame) against a bare Node UDP forwarder (receive → send, no
// parsing), each in its own process, fed the same traffic from this process one frame per
// datagram on loopback. Per rate step: frames/s offered and delivered, loss, latency
// (send → receive, sampled frames) and the forwarder's CPU (process.cpuUsage in the child).
// Run: pnpm exec tsx test/bench/mavlink-relay.ts [--seconds 5] [--rates 2000,10000,20000,...]
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DroneManager } from '@sargs/agent/drones/drone-manager';
import type { UdpServerEndpoint } from '@sargs/agent/drones/endpoints/udp-server';
import { sealFrame, targetSystem } from '@sargs/shared/mavlink/frame-check';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import pino from 'pino';
import { splitFrames } from '../support/mavlink-frames';
import { fixturesDir } from '../support/paths';

type Mode = 'relay' | 'bare';
interface ChildReady { ready: true; inPort: number }
interface ChildCpu { cpuUs: number; relayed: number; crcErrors: number }

const BUFFER = 4 * 1024 * 1024;
/** Extra node flags for the forwarder children, e.g. BENCH_RELAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const CHILD_NODE_ARGS = (process.env.BENCH_RELAY_NODE_ARGS ?? '').split(' ').filter(Boolean);

// ---- child: one forwarder, reporting its CPU when asked -------------------------------------
async function runChild(mode: Mode, outPort: number): Promise<void> {
  let inPort: number;
  let count: () => number;
  let crcErrors = (): number => 0;
  if (mode === 'bare') {
    let relayed = 0;
    count = () => relayed;
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: BUFFER, sendBufferSize: BUFFER });
    socket.on('message', (msg) => { relayed++; socket.send(msg, outPort, '127.0.0.1'); });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    inPort = socket.address().port;
  } else {
    const drones = new DroneManager({
      log: pino({ level: 'warn' }),
      endpoints: [
        { name: 'in', kind: 'udp-server', host: '127.0.0.1', port: 0 },
        { name: 'out', kind: 'udp-client', host: '127.0.0.1', port: outPort },
      ],
    });
    await drones.start();
    inPort = (drones.endpoint('in') as UdpServerEndpoint).boundPort as number;
    const stats = drones.endpoint('in')?.stats.counters;
    count = () => stats?.rxFrames ?? 0;
    crcErrors = () => stats?.crcErrors ?? 0;
  }
  process.on('message', (m) => {
    // A clean exit, so --cpu-prof (BENCH_RELAY_NODE_ARGS) can write its profile.
    if (m === 'exit') process.exit(0);
    const u = process.cpuUsage();
    process.send?.({ cpuUs: u.user + u.system, relayed: count(), crcErrors: crcErrors() } satisfies ChildCpu);
  });
  process.send?.({ ready: true, inPort } satisfies ChildReady);
}

// ---- parent: traffic, receiver, report ------------------------------------------------------
function ask<T>(child: ChildProcess): Promise<T> {
  const reply = once(child, 'message').then(([m]) => m as T);
  child.send('cpu');
  return reply;
}

/** Real traffic (v2 capture, v1 flight) without frames addressed to a system: those stay on the sender's side. */
function traffic(): Buffer[] {
  const v2 = splitFrames(readFileSync(join(fixturesDir, 'mavlink', 'mavlink-v2-3412-packets.bin')));
  const v1 = parseTlog(readFileSync(join(fixturesDir, 'mavlink', 'arduplane-vtol-sitl.tlog'))).records.map((r) => r.frame);
  return [...v2, ...v1].filter((f) => targetSystem(f, 0) === 0).map((f) => Buffer.from(f));
}

/** A sealed v2 GLOBAL_POSITION_INT carrying its send time (ms, float64) in lat/lon: the latency probe. */
function probe(sentMs: number): Buffer {
  const f = Buffer.alloc(10 + 28 + 2);
  f.set([0xfd, 28, 0, 0, 0, 42, 1, 33, 0, 0]);
  f.writeDoubleLE(sentMs, 14);
  return sealFrame(f);
}
const isProbe = (m: Buffer): boolean => m.length === 40 && m[0] === 0xfd && m[5] === 42 && m[7] === 33;

interface Step { mode: Mode; rate: number; offered: number; forwarded: number; delivered: number; lossPct: number; p50: number; p99: number; cpuPct: number; cpuUsPerFrame: number; genCpuPct: number }

async function runStep(child: ChildProcess, inPort: number, rx: { count: number; lat: number[] }, frames: Buffer[], rate: number, seconds: number, mode: Mode): Promise<Step> {
  const tx = dgram.createSocket({ type: 'udp4', sendBufferSize: BUFFER });
  tx.bind(0, '127.0.0.1');
  await once(tx, 'listening');
  // Sample latency on ~500 frames a second whatever the rate, so probes do not add much work.
  const probeEvery = Math.max(1, Math.round(rate / 500));
  const run = async (ms: number, measure: boolean): Promise<{ sent: number; cpu0?: ChildCpu; cpu1?: ChildCpu; gen: number }> => {
    const c0 = measure ? await ask<ChildCpu>(child) : undefined;
    const g0 = process.cpuUsage();
    rx.lat.length = 0;
    const t0 = performance.now();
    let sent = 0;
    let i = 0;
    while (performance.now() - t0 < ms) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate) - sent;
      for (let k = 0; k < Math.min(due, 1024); k++, sent++) {
        const frame = sent % probeEvery === 0 ? probe(performance.now()) : (frames[i++ % frames.length] as Buffer);
        tx.send(frame, inPort, '127.0.0.1');
      }
      // A 1 ms tick, not a spin: a busy generator would take the core the forwarder needs.
      await new Promise((r) => setTimeout(r, 1));
    }
    // Let the tail arrive: until nothing new for 200 ms (at most 3 s).
    for (let last = -1, n = 0; rx.count !== last && n < 15; n++) {
      last = rx.count;
      await new Promise((r) => setTimeout(r, 200));
    }
    const c1 = measure ? await ask<ChildCpu>(child) : undefined;
    const g = process.cpuUsage(g0);
    return { sent, ...(c0 ? { cpu0: c0 } : {}), ...(c1 ? { cpu1: c1 } : {}), gen: (g.user + g.system) / 1000 };
  };
  await run(500, false); // warm up the JIT and socket buffers
  const rx0 = rx.count;
  const wall0 = performance.now();
  const r = await run(seconds * 1000, true);
  const wallS = (performance.now() - wall0) / 1000;
  tx.close();
  const delivered = rx.count - rx0;
  const lat = [...rx.lat].sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  const cpuUs = (r.cpu1?.cpuUs ?? 0) - (r.cpu0?.cpuUs ?? 0);
  const relayed = (r.cpu1?.relayed ?? 0) - (r.cpu0?.relayed ?? 0);
  return {
    mode, rate, offered: r.sent / seconds, forwarded: relayed / seconds, delivered: delivered / seconds, lossPct: 100 * (1 - delivered / r.sent),
    p50: q(0.5), p99: q(0.99), cpuPct: cpuUs / 1e4 / wallS, cpuUsPerFrame: cpuUs / Math.max(1, relayed), genCpuPct: r.gen / 10 / wallS,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rates: { type: 'string', default: '2000,10000,20000,30000,40000,50000,60000,70000' } } });
  const seconds = Number(values.seconds);
  const rates = (values.rates ?? '').split(',').map(Number);
  const frames = traffic();
  const rxSocket = dgram.createSocket({ type: 'udp4', recvBufferSize: BUFFER });
  const rx = { count: 0, lat: [] as number[] };
  rxSocket.on('message', (m) => {
    rx.count++;
    if (isProbe(m)) rx.lat.push(performance.now() - m.readDoubleLE(14));
  });
  rxSocket.bind(0, '127.0.0.1');
  await once(rxSocket, 'listening');

  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${frames.length} distinct real frames, one per datagram; ${seconds} s per step`);
  console.log('mode  | offered/s | forwarded/s | delivered/s | loss % | p50 ms | p99 ms | forwarder CPU % of a core | µs CPU/frame | generator CPU %');
  const results: Step[] = [];
  for (const rate of rates) {
    for (const mode of ['bare', 'relay'] as const) {
      const child = fork(fileURLToPath(import.meta.url), ['--child', mode, String(rxSocket.address().port)], { execArgv: ['--import', 'tsx', ...CHILD_NODE_ARGS] });
      const [ready] = (await once(child, 'message')) as [ChildReady];
      const step = await runStep(child, ready.inPort, rx, frames, rate, seconds, mode);
      const { crcErrors } = await ask<ChildCpu>(child);
      const exited = once(child, 'exit');
      child.send('exit');
      await exited;
      results.push(step);
      console.log(`${mode.padEnd(5)} | ${step.offered.toFixed(0).padStart(9)} | ${step.forwarded.toFixed(0).padStart(11)} | ${step.delivered.toFixed(0).padStart(11)} | ${step.lossPct.toFixed(3).padStart(6)} | ${step.p50.toFixed(3).padStart(6)} | ${step.p99.toFixed(3).padStart(6)} | ${step.cpuPct.toFixed(1).padStart(25)} | ${step.cpuUsPerFrame.toFixed(1).padStart(12)} | ${step.genCpuPct.toFixed(0).padStart(15)}${crcErrors ? ` (crc errors ${crcErrors})` : ''}`);
    }
  }
  for (const mode of ['bare', 'relay'] as const) {
    const ok = results.filter((s) => s.mode === mode && s.lossPct < 0.1 && s.offered >= 0.95 * s.rate);
    const best = ok.at(-1);
    console.log(`${mode}: highest step sustained with < 0.1 % loss: ${best ? `${best.offered.toFixed(0)} frames/s` : 'none'}`);
  }
  rxSocket.close();
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) await runChild(process.argv[childAt + 1] as Mode, Number(process.argv[childAt + 2]));
else await main();
