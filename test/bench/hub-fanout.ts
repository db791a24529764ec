// Fan-out from agents to consoles through one hub: A protocol-level simulated agents (plain
// WebSocket clients speaking the real agent protocol) with C cameras each churn camera states
// at R changes/s across the fleet, while K console WebSockets listen. Measures, per change and
// per console, the time from the agent sending the change to that console receiving its first
// `camera.changed`, and the hub's CPU and RSS. The hub runs as its own process: the production
// bundle (`node cli/dist/sargs.mjs hub`, built by `pnpm build`) unless `--hub tsx`.
// Each change is sent as a real agent sends it: the live `cameras` list (all C cameras, the
// changed one with a new state) and then a durable `event` 'camera.state' with the next seq.
// The changed camera's health carries `detail: "bench-<n>"`, which identifies the change.
// Run: pnpm exec tsx test/bench/hub-fanout.ts [--agents 100] [--cameras 32] [--consoles 50]
//        [--rate 200] [--seconds 60] [--warmup 10] [--drain 5] [--hub bundle|tsx]
// Extra node flags for the hub (e.g. a profile): BENCH_HUB_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AgentToHub, envelope, type CameraHealth, type CameraInfo, type CameraStateName } from '@sargs/shared';
import WebSocket from 'ws';
import { HubClient } from '../support/hub-client';
import { cliMain, repoRoot, tempDir } from '../support/paths';
import { freePort } from '../support/ports';
import { procMemory, procStat, machineCpu } from './proc';

const { values: opt } = parseArgs({
  options: {
    agents: { type: 'string', default: '100' },
    cameras: { type: 'string', default: '32' },
    consoles: { type: 'string', default: '50' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    drain: { type: 'string', default: '5' },
    hub: { type: 'string', default: 'bundle' },
  },
});
const AGENTS = Number(opt.agents);
const CAMERAS = Number(opt.cameras);
const CONSOLES = Number(opt.consoles);
const RATE = Number(opt.rate);
const SECONDS = Number(opt.seconds);
const WARMUP = Number(opt.warmup);
const DRAIN = Number(opt.drain);
const HUB_MODE = opt.hub === 'tsx' ? 'tsx' : 'bundle';
for (const [k, v] of Object.entries({ AGENTS, CAMERAS, CONSOLES, RATE, SECONDS })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k.toLowerCase()} must be a positive number`);
}
if (CAMERAS > 512) throw new Error('--cameras: the protocol allows at most 512 cameras per list');

const PASSWORD = 'bench-fanout-password-2026';
const bundle = join(repoRoot, 'cli', 'dist', 'sargs.mjs');
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = now() + timeoutMs;
  while (!cond()) {
    if (now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

// ---- the hub process -------------------------------------------------------------------

interface HubProc { child: ChildProcess; url: string; adminPassword: string; output: string[] }

async function startHubProcess(dataDir: string, port: number): Promise<HubProc> {
  if (HUB_MODE === 'bundle' && !existsSync(bundle)) throw new Error(`${bundle} is missing: run "pnpm build" first (or use --hub tsx)`);
  const extra = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const entry = HUB_MODE === 'bundle' ? [bundle] : ['--import', 'tsx', cliMain];
  const child = spawn(process.execPath, [...extra, ...entry, 'hub', '--data', dataDir, '--port', String(port)], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let adminPassword = '';
  let expectPassword = false;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub not ready within 60 s:\n${output.slice(-20).join('\n')}`)), 60_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`hub exited with ${code}:\n${output.slice(-20).join('\n')}`)); });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        // Keep only a tail: the hub logs every agent connecting.
        output.push(line);
        if (output.length > 200) output.shift();
        if (expectPassword && line.trim()) { adminPassword = line.trim(); expectPassword = false; }
        if (line.includes('one-time password:')) expectPassword = true;
        const m = /Sargs hub listening on (\S+)/.exec(line);
        if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
      });
    }
  });
  child.removeAllListeners('exit');
  if (!adminPassword) throw new Error('the hub printed no one-time admin password');
  return { child, url, adminPassword, output };
}

async function stopHub(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// ---- simulated agents ---------------------------------------------------------------------

const STATES: { state: CameraStateName; reason: CameraHealth['reason'] }[] = [
  { state: 'online', reason: null },
  { state: 'offline', reason: 'unreachable' },
  { state: 'degraded', reason: 'stalled' },
];

/** Time each change was sent (performance.now()), by change number. */
let sentAt = new Float64Array(1 << 16);
function recordSent(n: number, t: number): void {
  if (n >= sentAt.length) {
    const bigger = new Float64Array(sentAt.length * 2);
    bigger.set(sentAt);
    sentAt = bigger;
  }
  sentAt[n] = t;
}

class SimAgent {
  ws!: WebSocket;
  welcomed = false;
  seq = 0;
  acked = 0;
  readonly cams: { info: CameraInfo; health: CameraHealth; phase: number }[] = [];
  /** Event send times by seq, to measure send → ack. */
  private readonly eventSent = new Map<number, number>();
  readonly ackMs: number[] = [];
  errors = 0;
  closed = false;

  constructor(readonly index: number, readonly token: string) {
    const since = new Date().toISOString();
    for (let c = 0; c < CAMERAS; c++) {
      const id = `a${index}-cam${String(c + 1).padStart(2, '0')}`;
      this.cams.push({
        info: { id, name: `Agent ${index} camera ${c + 1}`, deviceUrl: `http://10.${index >> 8}.${index & 255}.${c + 10}/onvif/device_service` },
        health: { cameraId: id, state: 'online', reason: null, since },
        phase: 0,
      });
    }
  }

  connect(wsUrl: string): Promise<void> {
    this.ws = new WebSocket(`${wsUrl}/agent/ws`, { headers: { authorization: `Bearer ${this.token}` } });
    this.ws.on('message', (data) => this.receive(data.toString()));
    this.ws.on('close', () => { this.closed = true; });
    this.ws.on('error', () => { this.errors++; });
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => {
        this.send(envelope(AgentToHub, 'hello', { agentName: `bench agent ${this.index}`, version: 'bench', hostname: `bench-${this.index}`, lastSeq: this.seq }));
        until(`welcome for agent ${this.index}`, () => this.welcomed, 30_000).then(() => {
          this.sendList();
          resolve();
        }, reject);
      });
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`agent ${this.index} refused: ${res.statusCode}`)));
    });
  }

  private receive(text: string): void {
    const msg = JSON.parse(text) as { type: string; body: { seq?: number; ackedSeq?: number; reason?: string } };
    if (msg.type === 'welcome') { this.acked = msg.body.ackedSeq ?? 0; this.welcomed = true; }
    else if (msg.type === 'ack') {
      const seq = msg.body.seq ?? 0;
      const t = now();
      for (let s = this.acked + 1; s <= seq; s++) {
        const sent = this.eventSent.get(s);
        if (sent !== undefined) { this.ackMs.push(t - sent); this.eventSent.delete(s); }
      }
      this.acked = Math.max(this.acked, seq);
    } else if (msg.type === 'error') {
      this.errors++;
      if (this.errors <= 3) console.error(`agent ${this.index}: hub error: ${msg.body.reason}`);
    }
  }

  private send(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  private sendList(): void {
    this.send(envelope(AgentToHub, 'cameras', { cameras: this.cams.map(({ info, health }) => ({ info, health })) }));
  }

  /** One state change of one camera, as the agent sends it: live list first, then the durable event. */
  change(n: number): void {
    const cam = this.cams[Math.floor(Math.random() * this.cams.length)]!;
    cam.phase = (cam.phase + 1) % STATES.length;
    const t = now();
    const s = STATES[cam.phase]!;
    cam.health = { cameraId: cam.info.id, state: s.state, reason: s.reason, since: new Date(performance.timeOrigin + t).toISOString(), detail: `bench-${n}` };
    recordSent(n, t);
    this.sendList();
    const seq = ++this.seq;
    this.eventSent.set(seq, now());
    this.send(envelope(AgentToHub, 'event', { kind: 'camera.state', at: cam.health.since, data: { ...cam.health } }, { seq }));
  }

  get unacked(): number { return this.seq - this.acked; }
}

// ---- consoles ---------------------------------------------------------------------------------

/** Latencies of first receipts (ms), for changes inside the measuring window; one per (change, console). */
let latencies = new Float64Array(1 << 20);
let latencyCount = 0;
/** How many consoles have received each change, by change number. */
let receivedBy = new Uint16Array(1 << 16);
let measureFrom = Infinity;
let measureTo = Infinity;
const MARKER = /"detail":"bench-(\d+)"/;

class SimConsole {
  ws!: WebSocket;
  snapshot = false;
  cameraChanged = 0;
  duplicates = 0;
  other = 0;
  private seen = new Uint8Array(1 << 16);

  constructor(readonly index: number, readonly cookie: string) {}

  connect(wsUrl: string): Promise<void> {
    this.ws = new WebSocket(`${wsUrl}/console/ws`, { headers: { cookie: this.cookie } });
    this.ws.on('message', (data) => this.receive(data.toString()));
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`console ${this.index} refused: ${res.statusCode}`)));
    });
  }

  private receive(text: string): void {
    const t = now();
    // Cheap parsing on purpose: fifty consoles in one process must not be the bottleneck.
    if (!text.startsWith('{"v":1,"type":"camera.changed"')) {
      if (text.startsWith('{"v":1,"type":"fleet.snapshot"')) this.snapshot = true;
      else this.other++;
      return;
    }
    this.cameraChanged++;
    const m = MARKER.exec(text);
    if (!m) return;
    const n = Number(m[1]);
    if (n >= this.seen.length) {
      const bigger = new Uint8Array(Math.max(this.seen.length * 2, n + 1));
      bigger.set(this.seen);
      this.seen = bigger;
    }
    if (this.seen[n]) { this.duplicates++; return; }
    this.seen[n] = 1;
    if (n >= receivedBy.length) {
      const bigger = new Uint16Array(Math.max(receivedBy.length * 2, n + 1));
      bigger.set(receivedBy);
      receivedBy = bigger;
    }
    receivedBy[n]!++;
    if (n >= measureFrom && n < measureTo) {
      if (latencyCount === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[latencyCount++] = t - sentAt[n]!;
    }
  }
}

// ---- run ------------------------------------------------------------------------------------------

const dir = tempDir('bench-fanout-hub');
let hub: HubProc | undefined;
const agents: SimAgent[] = [];
const consoles: SimConsole[] = [];
let stopping = false;
const onSignal = () => { stopping = true; };
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

try {
  const port = await freePort();
  const t0 = now();
  hub = await startHubProcess(dir.path, port);
  const hubPid = hub.child.pid!;
  const wsUrl = hub.url.replace(/^http/, 'ws');
  console.log(`hub (${HUB_MODE === 'bundle' ? 'node cli/dist/sargs.mjs' : 'node --import tsx cli/src/main.ts'}) pid ${hubPid} at ${hub.url}, ready in ${(now() - t0).toFixed(0)} ms`);

  const admin = new HubClient(hub.url);
  await admin.signInFirstTime('admin', hub.adminPassword, PASSWORD);
  const tokens: string[] = [];
  for (let i = 0; i < AGENTS; i++) tokens.push((await admin.createSite(`Bench site ${String(i + 1).padStart(3, '0')}`)).enrolmentToken);
  console.log(`${AGENTS} sites created`);

  for (let i = 0; i < AGENTS; i++) agents.push(new SimAgent(i + 1, tokens[i]!));
  // A few at a time: 100 gateways reconnecting at once is a different benchmark.
  for (let i = 0; i < agents.length; i += 10) await Promise.all(agents.slice(i, i + 10).map((a) => a.connect(wsUrl)));
  const fleetCameras = async () => (await admin.json<{ cameras: unknown[] }>('GET', '/api/fleet')).cameras.length;
  const deadline = now() + 60_000;
  while ((await fleetCameras()) < AGENTS * CAMERAS) {
    if (now() > deadline) throw new Error('the hub did not learn every camera within 60 s');
    await sleep(200);
  }
  console.log(`${AGENTS} agents connected, ${AGENTS * CAMERAS} cameras listed`);

  for (let i = 0; i < CONSOLES; i++) {
    const c = new HubClient(hub.url);
    await c.signIn('admin', PASSWORD);
    consoles.push(new SimConsole(i + 1, c.cookie!));
  }
  await Promise.all(consoles.map((c) => c.connect(wsUrl)));
  await until('every console\'s fleet snapshot', () => consoles.every((c) => c.snapshot), 60_000);
  console.log(`${CONSOLES} consoles connected, snapshots received`);
  const rssBeforeChurn = procMemory(hubPid)?.rssMb ?? NaN;

  // Churn: one global ticker keeps the fleet at RATE changes/s, each on a random agent and camera.
  let n = 0;
  const churnStart = now();
  const warmEnd = churnStart + WARMUP * 1000;
  const measureEnd = warmEnd + SECONDS * 1000;
  let cpuStart: number | undefined;
  let machineStart: ReturnType<typeof machineCpu> | undefined;
  let selfStart: NodeJS.CpuUsage | undefined;
  let tWindowStart = 0;
  let rssMax = 0;
  let rssSum = 0;
  let rssSamples = 0;
  let maxUnacked = 0;
  let nextSample = warmEnd;
  while (!stopping) {
    const t = now();
    if (t >= measureEnd) break;
    if (measureFrom === Infinity && t >= warmEnd) {
      measureFrom = n;
      cpuStart = procStat(hubPid)?.cpuS;
      machineStart = machineCpu();
      selfStart = process.cpuUsage();
      tWindowStart = t;
    }
    const due = Math.floor(((t - churnStart) / 1000) * RATE);
    while (n < due) agents[Math.floor(Math.random() * agents.length)]!.change(n++);
    if (t >= nextSample) {
      nextSample += 1000;
      const m = procMemory(hubPid);
      if (m) { rssMax = Math.max(rssMax, m.rssMb); rssSum += m.rssMb; rssSamples++; }
      maxUnacked = Math.max(maxUnacked, ...agents.map((a) => a.unacked));
      if (hub.child.exitCode !== null) throw new Error('the hub exited during the run');
    }
    await sleep(5);
  }
  measureTo = n;
  const tWindowEnd = now();
  const cpuEnd = procStat(hubPid)?.cpuS;
  const machineEnd = machineCpu();
  const selfCpu = process.cpuUsage(selfStart);
  if (stopping) throw new Error('interrupted');

  // Let everything in flight arrive, then count.
  const drainEnd = now() + DRAIN * 1000;
  while (now() < drainEnd && agents.some((a) => a.unacked > 0)) await sleep(50);
  await sleep(Math.max(0, drainEnd - now()));
  const windowS = (tWindowEnd - tWindowStart) / 1000;
  const measured = measureTo - measureFrom;
  let complete = 0;
  let expectedReceipts = 0;
  let receipts = 0;
  for (let k = measureFrom; k < measureTo; k++) {
    const r = receivedBy[k] ?? 0;
    receipts += r;
    expectedReceipts += CONSOLES;
    if (r === CONSOLES) complete++;
  }
  const lat = latencies.slice(0, latencyCount).sort();
  const acks = agents.flatMap((a) => a.ackMs).sort((a, b) => a - b);
  const ackSorted = Float64Array.from(acks);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const hubCpu = cpuStart !== undefined && cpuEnd !== undefined ? (100 * (cpuEnd - cpuStart)) / windowS : NaN;
  const machineBusy = machineStart ? (100 * (machineEnd.busyS - machineStart.busyS)) / (machineEnd.totalS - machineStart.totalS) : NaN;
  const selfPct = (100 * (selfCpu.user + selfCpu.system)) / 1e6 / windowS;
  const totalChanged = consoles.reduce((s, c) => s + c.cameraChanged, 0);
  const totalDup = consoles.reduce((s, c) => s + c.duplicates, 0);
  const totalOther = consoles.reduce((s, c) => s + c.other, 0);
  const c0 = cpus();

  console.log('');
  console.log(`machine: ${c0.length} × ${c0[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  console.log(`load: ${AGENTS} agents × ${CAMERAS} cameras = ${AGENTS * CAMERAS}, ${CONSOLES} consoles, ${RATE} changes/s target; warm-up ${WARMUP} s, window ${windowS.toFixed(1)} s`);
  console.log(`changes sent in window: ${measured} (${(measured / windowS).toFixed(1)}/s)`);
  console.log(`change → console latency (first camera.changed per change and console): p50 ${ms(quantile(lat, 0.5))}, p95 ${ms(quantile(lat, 0.95))}, p99 ${ms(quantile(lat, 0.99))}, max ${ms(lat[lat.length - 1] ?? NaN)} (n=${lat.length})`);
  console.log(`delivered: ${receipts}/${expectedReceipts} receipts (${((100 * receipts) / expectedReceipts).toFixed(2)} %); changes every console got: ${complete}/${measured} (${((100 * complete) / measured).toFixed(2)} %)`);
  console.log(`camera.changed per change per console: ${(totalChanged / Math.max(1, n * CONSOLES)).toFixed(2)} (duplicates ${totalDup}); other pushes per console: ${(totalOther / CONSOLES).toFixed(0)}`);
  console.log(`event send → ack: p50 ${ms(quantile(ackSorted, 0.5))}, p99 ${ms(quantile(ackSorted, 0.99))}, max ${ms(ackSorted[ackSorted.length - 1] ?? NaN)}; most unacked events on one agent: ${maxUnacked}`);
  console.log(`hub CPU: ${hubCpu.toFixed(1)} % of one core; hub RSS: max ${rssMax.toFixed(0)} MB, mean ${(rssSum / Math.max(1, rssSamples)).toFixed(0)} MB (${rssBeforeChurn.toFixed(0)} MB before churn), peak VmHWM ${procMemory(hubPid)?.peakMb.toFixed(0)} MB`);
  console.log(`benchmark process CPU: ${selfPct.toFixed(1)} % of one core; machine busy: ${machineBusy.toFixed(0)} % of ${c0.length} cores`);
  const agentErrors = agents.reduce((s, a) => s + a.errors, 0);
  if (agentErrors || agents.some((a) => a.closed)) console.log(`agent errors: ${agentErrors}, agents disconnected: ${agents.filter((a) => a.closed).length}`);
} finally {
  for (const c of consoles) c.ws?.terminate();
  for (const a of agents) a.ws?.terminate();
  if (hub) await stopHub(hub.child);
  dir.remove();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
