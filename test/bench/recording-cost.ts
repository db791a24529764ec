// What recording costs: N simulated 1080p25 4 Mbit/s cameras (H.264, GOP 50) recorded by a
// whole agent (in its own process, no hub), against the same ffmpeg command lines run bare.
// Measures the agent process's own CPU and RSS, its ffmpeg children's CPU, the bare ffmpegs'
// CPU, and the GStreamer RTSP servers' CPU, over the same window, from /proc.
// Run: pnpm exec tsx test/bench/recording-cost.ts [seconds=60] [counts=4,16,32] [warmupSeconds=30]
// The warm-up keeps start-up out of the window: for 10-15 s after start the agent still compiles
// and collects garbage from onboarding, as much CPU as minutes of recording at 4 cameras.
// (BENCH_AGENT_NODE_ARGS adds node flags to the agent child, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'.)
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ffmpegArgs, withCredentials } from '@sargs/agent/cameras/ffmpeg-args';
import { reportPeriodSeconds } from '@sargs/agent/cameras/recorder';
import { dayDirPath, segmentPattern } from '@sargs/agent/cameras/segment-paths';
import { WriteActivityMonitor } from '@sargs/agent/cameras/write-activity';
import { SimulatedCamera, type VideoFormat } from '@sargs/sim/camera/index';
import { repoRoot, tempDir } from '../support/paths';
import { childrenNamed, CpuMeter, machineCpu, machineLine, procMemory, treeBytes } from './proc';
import type { RecordingJob, RecordingReady, RecordingStatus } from './recording-agent';
import { build } from 'esbuild';

/** As cli/build.mjs: CommonJS dependencies need require() and __dirname in an ESM bundle. */
const BUNDLE_BANNER = "import { createRequire as __r } from 'node:module'; import { fileURLToPath as __u } from 'node:url'; import { dirname as __d } from 'node:path'; const require = __r(import.meta.url); const __filename = __u(import.meta.url); const __dirname = __d(__filename);";
const SECONDS = Number(process.argv[2] ?? 60);
const COUNTS = (process.argv[3] ?? '4,16,32').split(',').map(Number);
const WARMUP_S = Number(process.argv[4] ?? 30);
// The plain test pattern compresses to ~0.6 Mbit/s at 1080p; noise makes the encoder use the whole 4 Mbit/s.
const VIDEO: VideoFormat = { width: 1920, height: 1080, fps: 25, gop: 50, bitrateKbps: 4000, noise: 10 };
/** Extra node flags for the agent child, e.g. BENCH_AGENT_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to see where its CPU goes. */
const AGENT_NODE_ARGS = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
const USER = 'admin';
const PASSWORD = 'bench-secret';
/** The recorder's production settings (config defaults, recorder DEFAULT_TUNING). */
const SEGMENT_SECONDS = 60;
const IO_TIMEOUT_S = 5;
const STATS_PERIOD_S = reportPeriodSeconds(WriteActivityMonitor.supported);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (cpuS: number, wallS: number) => (cpuS / wallS) * 100;

interface Window { wallS: number; machineBusyPct: number; machineCorePct: number; harnessPct: number; maxRssMb: number; mbitPerCamera: number }

/** Samples the meters once a second for `seconds`; RSS of `memPid` as its maximum over the samples. */
async function measure(seconds: number, meters: CpuMeter[], recordingsDir: string, cameras: number, memPid?: number): Promise<Window> {
  const m0 = machineCpu();
  const h0 = process.cpuUsage();
  const b0 = treeBytes(recordingsDir);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let maxRssMb = memPid !== undefined ? procMemory(memPid)?.rssMb ?? 0 : 0;
  while (performance.now() < end) {
    await sleep(Math.min(1000, end - performance.now()));
    for (const m of meters) m.sample();
    if (memPid !== undefined) maxRssMb = Math.max(maxRssMb, procMemory(memPid)?.rssMb ?? 0);
  }
  const wallS = (performance.now() - t0) / 1000;
  const m1 = machineCpu();
  const h = process.cpuUsage(h0);
  const bytes = treeBytes(recordingsDir) - b0;
  return {
    wallS, maxRssMb,
    machineBusyPct: ((m1.busyS - m0.busyS) / (m1.totalS - m0.totalS)) * 100,
    // Busy core-seconds per second, as % of one core, to compare with the per-process figures.
    machineCorePct: pct(m1.busyS - m0.busyS, wallS),
    harnessPct: pct((h.user + h.system) / 1e6, wallS),
    mbitPerCamera: (bytes * 8) / 1e6 / wallS / cameras,
  };
}

async function unusedPort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`agent child sent no "${type}" within ${timeoutMs} ms`)); }, timeoutMs);
    const onMessage = (m: T) => { if (m.type === type) { cleanup(); resolve(m); } };
    const onExit = (code: number | null) => { cleanup(); reject(new Error(`agent child exited (${code}) before "${type}"`)); };
    const cleanup = () => { clearTimeout(timer); child.off('message', onMessage); child.off('exit', onExit); };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number, how?: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (how) how(); else child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

interface Row {
  n: number; agentCpuPct: number; agentRssMb: number; agentPeakRssMb: number; agentFfmpegPct: number; bareFfmpegPct: number;
  rtspAgentPct: number; rtspBarePct: number; busyAgentPct: number; busyBarePct: number; mbitAgent: number; mbitBare: number;
  otherAgentPct: number; otherBarePct: number; agentFfmpegSeen: number; bareFfmpegSeen: number; sameArgs: boolean; rssAtStartMb: number; heapMb: number; heapTotalMb: number; externalMb: number;
}

/**
 * The agent child is bundled like the production `sargs` (cli/build.mjs): plain JavaScript,
 * no TypeScript loader, which alone would add ~37 MB of RSS that a gateway never pays.
 */
async function bundledAgentScript(): Promise<string> {
  const out = join(repoRoot, 'test', 'bench', '.build', 'recording-agent.mjs');
  await build({
    entryPoints: [join(repoRoot, 'test', 'bench', 'recording-agent.ts')], bundle: true, platform: 'node', target: 'node20', format: 'esm',
    outfile: out, external: ['level', 'classic-level', 'serialport', '@serialport/*', 'dmx'], logLevel: 'warning',
    banner: { js: BUNDLE_BANNER },
  });
  return out;
}

async function runAgentPhase(n: number, cams: SimulatedCamera[]) {
  const dir = tempDir('bench-rec-agent');
  const job: RecordingJob = {
    dataDir: dir.path, hubUrl: `ws://127.0.0.1:${await unusedPort()}`,
    cameras: cams.slice(0, n).map((c) => ({ url: c.deviceServiceUrl, username: USER, password: PASSWORD })),
  };
  const child = fork(await bundledAgentScript(), [JSON.stringify(job)], {
    cwd: repoRoot, execArgv: [...AGENT_NODE_ARGS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage<RecordingReady>(child, 'ready', 120_000);
    // The exact command line the agent ran, next to what ffmpegArgs builds for the bare run.
    const first = ready.cameras[0]!;
    const actual = readFileSync(`/proc/${first.ffmpegPid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
    const recordingsDir = join(dir.path, 'recordings');
    const expected = ffmpegArgs({ url: withCredentials(first.streamUri, USER, PASSWORD), outputPattern: segmentPattern(recordingsDir, first.id), segmentSeconds: SEGMENT_SECONDS, ioTimeoutSeconds: IO_TIMEOUT_S, statsPeriodSeconds: STATS_PERIOD_S });
    const sameArgs = JSON.stringify(actual) === JSON.stringify(expected);
    if (!sameArgs) console.warn(`agent ffmpeg args differ from ffmpegArgs():\n  agent: ${actual.join(' ')}\n  built: ${expected.join(' ')}`);
    await sleep(WARMUP_S * 1000);
    const agentPid = child.pid!;
    const agentMeter = new CpuMeter(() => [agentPid]);
    const ffmpegMeter = new CpuMeter(() => childrenNamed(agentPid, 'ffmpeg'));
    const rtspMeter = new CpuMeter(() => cams.slice(0, n).flatMap((c) => c.rtspPid ?? []));
    const w = await measure(SECONDS, [agentMeter, ffmpegMeter, rtspMeter], recordingsDir, n, agentPid);
    const peak = procMemory(agentPid)?.peakMb ?? 0;
    child.send('status');
    const status = await nextMessage<RecordingStatus>(child, 'status', 10_000);
    if (status.recording !== n) console.warn(`N=${n}: only ${status.recording} of ${n} recorders were recording at the end`);
    return { w, ready, sameArgs, peak, status, agentCpuS: agentMeter.cpuS, ffmpegCpuS: ffmpegMeter.cpuS, ffmpegSeen: ffmpegMeter.seen, rtspCpuS: rtspMeter.cpuS };
  } finally {
    await stopProcess(child, 'SIGTERM', 15_000, () => child.send('stop'));
    dir.remove();
  }
}

async function runBarePhase(n: number, cams: SimulatedCamera[], ready: RecordingReady) {
  const dir = tempDir('bench-rec-bare');
  const now = Date.now();
  const children: ChildProcess[] = [];
  try {
    for (const cam of ready.cameras.slice(0, n)) {
      for (const t of [now, now + 86_400_000]) mkdirSync(dayDirPath(dir.path, cam.id, t), { recursive: true });
      const args = ffmpegArgs({ url: withCredentials(cam.streamUri, USER, PASSWORD), outputPattern: segmentPattern(dir.path, cam.id), segmentSeconds: SEGMENT_SECONDS, ioTimeoutSeconds: IO_TIMEOUT_S, statsPeriodSeconds: STATS_PERIOD_S });
      const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let tail = '';
      child.stderr?.on('data', (d: Buffer) => { tail = (tail + d.toString()).slice(-2000); });
      child.once('exit', (code, signal) => { if (!stopping) console.warn(`bare ffmpeg for ${cam.id} exited (${signal ?? code}): ${tail.trim()}`); });
      children.push(child);
    }
    // Started when every one has written video, like the agent phase's "recording".
    const deadline = Date.now() + 30_000;
    while (!ready.cameras.slice(0, n).every((c) => treeBytes(join(dir.path, c.id)) > 0)) {
      if (Date.now() > deadline) throw new Error('bare ffmpegs wrote nothing within 30 s');
      await sleep(100);
    }
    await sleep(WARMUP_S * 1000);
    const pids = children.map((c) => c.pid!);
    const ffmpegMeter = new CpuMeter(() => pids);
    const rtspMeter = new CpuMeter(() => cams.slice(0, n).flatMap((c) => c.rtspPid ?? []));
    const w = await measure(SECONDS, [ffmpegMeter, rtspMeter], dir.path, n);
    return { w, ffmpegCpuS: ffmpegMeter.cpuS, ffmpegSeen: ffmpegMeter.seen, rtspCpuS: rtspMeter.cpuS };
  } finally {
    stopping = true;
    await Promise.all(children.map((c) => stopProcess(c, 'SIGINT', 5000)));
    stopping = false;
    dir.remove();
  }
}
let stopping = false;

console.log(`machine: ${machineLine()}`);
console.log(`cameras: ${VIDEO.width}x${VIDEO.height} ${VIDEO.fps} fps, GOP ${VIDEO.gop}, ${VIDEO.bitrateKbps} kbit/s H.264; window ${SECONDS} s after ${WARMUP_S} s warm-up; CPU % is of one core`);
const cams: SimulatedCamera[] = [];
const rows: Row[] = [];
try {
  const max = Math.max(...COUNTS);
  // A few at a time: each RTSP server is a Python process importing GStreamer.
  for (let i = 0; i < max; i += 4) {
    cams.push(...await Promise.all(Array.from({ length: Math.min(4, max - i) }, (_, k) =>
      SimulatedCamera.start({ name: `Bench ${i + k + 1}`, username: USER, password: PASSWORD, video: VIDEO }))));
  }
  for (const n of COUNTS) {
    const a = await runAgentPhase(n, cams);
    const b = await runBarePhase(n, cams, a.ready);
    const row: Row = {
      n, agentCpuPct: pct(a.agentCpuS, a.w.wallS), agentRssMb: a.w.maxRssMb, agentPeakRssMb: a.peak,
      agentFfmpegPct: pct(a.ffmpegCpuS, a.w.wallS), bareFfmpegPct: pct(b.ffmpegCpuS, b.w.wallS),
      rtspAgentPct: pct(a.rtspCpuS, a.w.wallS), rtspBarePct: pct(b.rtspCpuS, b.w.wallS),
      busyAgentPct: a.w.machineBusyPct, busyBarePct: b.w.machineBusyPct, mbitAgent: a.w.mbitPerCamera, mbitBare: b.w.mbitPerCamera,
      agentFfmpegSeen: a.ffmpegSeen, bareFfmpegSeen: b.ffmpegSeen, sameArgs: a.sameArgs,
      // Whatever else ran on the machine meanwhile (other users, the kernel): busy minus everything measured here.
      otherAgentPct: a.w.machineCorePct - a.w.harnessPct - pct(a.agentCpuS + a.ffmpegCpuS + a.rtspCpuS, a.w.wallS),
      otherBarePct: b.w.machineCorePct - b.w.harnessPct - pct(b.ffmpegCpuS + b.rtspCpuS, b.w.wallS),
      rssAtStartMb: a.ready.memoryAtStart.rss / 2 ** 20, heapMb: a.status.memory.heapUsed / 2 ** 20,
      heapTotalMb: a.status.memory.heapTotal / 2 ** 20, externalMb: a.status.memory.external / 2 ** 20,
    };
    rows.push(row);
    console.log(`N=${n}: agent ${row.agentCpuPct.toFixed(1)} % CPU, RSS max ${row.agentRssMb.toFixed(0)} MB (peak since start ${row.agentPeakRssMb.toFixed(0)} MB, `
      + `${row.rssAtStartMb.toFixed(0)} MB after Agent.start with no camera, V8 heap at the end ${row.heapMb.toFixed(0)} MB used of ${row.heapTotalMb.toFixed(0)} MB, external ${row.externalMb.toFixed(0)} MB); `
      + `its ffmpegs ${row.agentFfmpegPct.toFixed(1)} % (${row.agentFfmpegSeen} pids); bare ffmpegs ${row.bareFfmpegPct.toFixed(1)} % (${row.bareFfmpegSeen} pids); `
      + `RTSP servers ${row.rtspAgentPct.toFixed(1)} / ${row.rtspBarePct.toFixed(1)} %; machine busy ${row.busyAgentPct.toFixed(0)} / ${row.busyBarePct.toFixed(0)} % of all cores, `
      + `of which neither this benchmark nor its children ${row.otherAgentPct.toFixed(0)} / ${row.otherBarePct.toFixed(0)} % of one core; `
      + `written ${row.mbitAgent.toFixed(2)} / ${row.mbitBare.toFixed(2)} Mbit/s per camera; same command line: ${row.sameArgs ? 'yes' : 'NO'}`);
  }
} finally {
  await Promise.allSettled(cams.map((c) => c.stop()));
}

console.log('\n| N | agent CPU % | agent RSS MB (max in window) | agent\'s ffmpegs CPU % (sum) | bare ffmpegs CPU % (sum) | ratio (agent + its ffmpegs) / bare | RTSP servers CPU % (agent / bare run) | machine busy % (agent / bare run) | written Mbit/s per camera (agent / bare) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const ratio = (r.agentCpuPct + r.agentFfmpegPct) / r.bareFfmpegPct;
  console.log(`| ${r.n} | ${r.agentCpuPct.toFixed(1)} | ${r.agentRssMb.toFixed(0)} | ${r.agentFfmpegPct.toFixed(1)} | ${r.bareFfmpegPct.toFixed(1)} | ${ratio.toFixed(2)} | ${r.rtspAgentPct.toFixed(1)} / ${r.rtspBarePct.toFixed(1)} | ${r.busyAgentPct.toFixed(0)} / ${r.busyBarePct.toFixed(0)} (others ${r.otherAgentPct.toFixed(0)} / ${r.otherBarePct.toFixed(0)} % of a core) | ${r.mbitAgent.toFixed(2)} / ${r.mbitBare.toFixed(2)} |`);
}
