// How fast an export goes: an hour of 1080p25 4 Mbit/s footage as the recorder writes it
// (one-minute fMP4 segments, indexed in the agent's SegmentIndex in LevelDB on disk), exported
// whole, side by side in one run with `cat` of the same files:
//   cat > /dev/null, cat | sha256sum (coreutils), cat | openssl sha256 (SHA-NI);
//   the agent's export handler alone (plan + stitch + SHA-256) into a discarding sink;
//   the real path: POST /api/video/exports, then the download through hub and media link to
//   curl writing to /dev/null, with the agent in its own process (as on a gateway) and the hub
//   in this one.
// The footage is the simulated camera's clip looped through ffmpeg's segment muxer with the
// recorder's options, so no encoding is needed. Warm runs read the files from the page cache
// (cat runs first); cold runs drop it first (root on Linux), so the files come from the disk.
// Run: pnpm exec tsx test/bench/export-throughput.ts [segments=60] [segmentSeconds=60] [repeats=2]
// With AGENT_CPU_PROF=<dir> the agent process writes a V8 CPU profile there when it stops.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRAGMENT_OPTIONS } from '@sargs/agent/cameras/ffmpeg-args';
import { SegmentIndex } from '@sargs/agent/cameras/segment-index';
import { dayOf } from '@sargs/agent/cameras/segment-paths';
import { planExport } from '@sargs/agent/video/export-plan';
import { streamExport } from '@sargs/agent/video/export-stream';
import { ensureMediaFiles } from '@sargs/sim/camera/media-files';
import { Level } from 'level';
import { startProcess } from '../support/cli-process';
import { hubWithAdmin } from '../support/in-process';
import { cliMain, repoRoot, tempDir } from '../support/paths';
import { announceCamera } from '../video/export-fixtures';
import { machineLine, procStat } from './proc';

const SEGMENTS = Number(process.argv[2] ?? 60);
const SEGMENT_S = Number(process.argv[3] ?? 60);
const REPEATS = Number(process.argv[4] ?? 2);
const CAMERA = 'cam-bench';

function run(cmd: string, args: string[], opts: { shell?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: opts.shell ?? false });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-2000); });
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} failed (${code}): ${err.trim()}`))));
  });
}

/** Drops the page cache (needs root and a writable /proc/sys/vm); false where that is not allowed. */
async function dropCaches(): Promise<boolean> {
  try {
    await run('sync', []);
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}

async function timed<T>(f: () => Promise<T>): Promise<{ s: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { s: (performance.now() - t0) / 1000, value };
}

const work = tempDir('bench-export');
const agentDir = join(work.path, 'agent');
const root = join(agentDir, 'recordings');
const rows: string[] = [];
const say = (line: string) => { rows.push(line); console.log(line); };
let stopAll: (() => Promise<void>)[] = [];
try {
  say(`machine: ${machineLine()}`);
  const { clip } = await ensureMediaFiles({ width: 1920, height: 1080, fps: 25, gop: 50, bitrateKbps: 4000, noise: 10 });
  // Timestamps of an hour that ended a little while ago; the files are named as the recorder names them.
  const base = Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000;
  const day = join(root, CAMERA, dayOf(base));
  const gen = join(work.path, 'gen');
  await run('mkdir', ['-p', day, gen]);
  // Raw H.264 does not loop with -stream_loop (it cannot seek back), so the clip goes into MP4 first.
  const clipMp4 = join(work.path, 'clip.mp4');
  await run('/usr/bin/ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-framerate', '25', '-f', 'h264', '-i', clip, '-c', 'copy', clipMp4]);
  const made = await timed(() => run('/usr/bin/ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-stream_loop', '-1', '-i', clipMp4, '-t', String(SEGMENTS * SEGMENT_S),
    '-map', '0:v:0', '-c', 'copy', '-f', 'segment', '-segment_time', String(SEGMENT_S), '-segment_format', 'mp4',
    '-segment_format_options', FRAGMENT_OPTIONS, '-reset_timestamps', '1', join(gen, '%05d.mp4'),
  ]));
  const generated = readdirSync(gen).sort();
  // The agent's own database, as it will open it.
  const db = new Level<string, unknown>(join(agentDir, 'agent.db'), { valueEncoding: 'json' });
  await db.open();
  const index = new SegmentIndex(db);
  const files: string[] = [];
  let totalBytes = 0;
  for (const [i, name] of generated.entries()) {
    const start = base + i * SEGMENT_S * 1000;
    const fileName = `${new Date(start).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z.mp4`;
    const file = join(day, fileName);
    await run('mv', [join(gen, name), file]);
    const bytes = statSync(file).size;
    totalBytes += bytes;
    files.push(file);
    await index.add({ cameraId: CAMERA, path: `${CAMERA}/${dayOf(start)}/${fileName}`, bytes, start: new Date(start).toISOString(), end: new Date(start + SEGMENT_S * 1000).toISOString() });
  }
  const mb = totalBytes / 1e6;
  say(`footage: ${files.length} segments × ${SEGMENT_S} s, ${mb.toFixed(0)} MB (${((totalBytes * 8) / 1e6 / (files.length * SEGMENT_S)).toFixed(2)} Mbit/s), made in ${made.s.toFixed(1)} s`);
  const from = new Date(base).toISOString();
  const to = new Date(base + files.length * SEGMENT_S * 1000).toISOString();
  const list = join(work.path, 'files.txt');
  writeFileSync(list, files.join('\n') + '\n');
  const cat = () => run('sh', ['-c', `xargs cat < '${list}' > /dev/null`]);
  const catHash = (tool: string) => run('sh', ['-c', `xargs cat < '${list}' | ${tool}`]);
  const rate = (s: number, bytes = totalBytes) => `${s.toFixed(2)} s, ${(bytes / 1e6 / s).toFixed(0)} MB/s`;

  // The handler alone: plan (index, layout of every file) and stitch with SHA-256 into a sink.
  const handlerAlone = async () => {
    const plan = await timed(() => planExport({ cameraId: CAMERA, from, to }, { store: index, root }));
    try {
      const sent = await timed(() => streamExport(plan.value, async () => undefined));
      return { planS: plan.s, streamS: sent.s, head: plan.value.head, ...sent.value };
    } finally {
      await plan.value.close();
    }
  };

  // Cold runs drop the page cache first (root on Linux only), so files come from the disk.
  const canDrop = await dropCaches();
  if (!canDrop) say('page cache cannot be dropped here: cold runs are left out');
  const modes = canDrop ? (['warm', 'cold'] as const) : (['warm'] as const);
  const prepare = async (mode: 'warm' | 'cold') => { if (mode === 'cold') await dropCaches(); else await cat(); };
  const cpuS = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

  let reference: string | undefined;
  for (let r = 1; r <= REPEATS; r++) {
    for (const mode of modes) {
      await prepare(mode);
      const c = await timed(cat);
      await prepare(mode);
      const h = await timed(() => catHash('sha256sum'));
      await prepare(mode);
      const o = await timed(() => catHash('openssl sha256'));
      await prepare(mode);
      const cpu0 = process.cpuUsage();
      const a = await timed(handlerAlone);
      const cpu = cpuS(process.cpuUsage(cpu0));
      reference ??= a.value.sha256;
      say(`run ${r} ${mode}: cat > /dev/null               ${rate(c.s)}`);
      say(`run ${r} ${mode}: cat | sha256sum               ${rate(h.s)}`);
      say(`run ${r} ${mode}: cat | openssl sha256          ${rate(o.s)}`);
      say(`run ${r} ${mode}: handler alone → sink          ${rate(a.s, a.value.bytes)} (plan ${(a.value.planS * 1000).toFixed(0)} ms, stitch+hash ${a.value.streamS.toFixed(2)} s, CPU ${cpu.toFixed(2)} s); ` +
        `file ${(a.value.bytes / 1e6).toFixed(0)} MB, ${a.value.head.durationS.toFixed(1)} s, ${a.value.head.segments} segments, ${a.value.head.gaps.length} gaps; ` +
        `${(c.s / a.s).toFixed(2)}× cat's throughput, ${(h.s / a.s).toFixed(1)}× cat | sha256sum's${a.value.sha256 === reference ? '' : '; SHA-256 DIFFERENT from run 1'}`);
    }
  }
  await db.close();

  // The real path: the hub here, the agent in its own process, curl as the discarding client.
  const { hub, admin } = await hubWithAdmin(join(work.path, 'hub'));
  stopAll.push(() => hub.close());
  const site = await admin.createSite('Bench');
  const config = join(work.path, 'agent.json');
  writeFileSync(config, JSON.stringify({ hub: { url: hub.url.replace(/^http/, 'ws'), enrolmentToken: site.enrolmentToken }, name: 'bench-gateway', dataDir: agentDir, recordings: { dir: root } }));
  const prof = process.env.AGENT_CPU_PROF;
  const agent = await startProcess(process.execPath, [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), '--import', 'tsx', cliMain, 'agent', '--config', config],
    /(media link connected)/, { cwd: repoRoot, env: process.env, timeoutMs: 60_000, what: 'sargs agent' });
  stopAll.push(async () => { await agent.stop('SIGINT'); });
  await announceCamera(hub, site.agent.id, CAMERA, 'Bench camera');
  for (let r = 1; r <= REPEATS; r++) {
    for (const mode of modes) {
      await prepare(mode);
      const c = await timed(cat);
      await prepare(mode);
      const hubCpu0 = process.cpuUsage();
      const agentCpu0 = procStat(agent.child.pid!)?.cpuS ?? 0;
      const created = await timed(() => admin.json<{ id: string; bytes: number }>('POST', '/api/video/exports', { cameraId: CAMERA, from, to, reason: 'benchmark of the export path' }));
      const url = `${hub.url}/api/video/exports/${created.value.id}/download`;
      const got = await timed(() => run('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', '-H', `cookie: ${admin.cookie}`, url]));
      const hubCpu = cpuS(process.cpuUsage(hubCpu0));
      const agentCpu = (procStat(agent.child.pid!)?.cpuS ?? 0) - agentCpu0;
      const status = await admin.json<{ state: string; sha256?: string; error?: string }>('GET', `/api/video/exports/${created.value.id}`);
      const same = status.sha256 === reference && Number(got.value) === created.value.bytes;
      const total = created.s + got.s;
      say(`run ${r} ${mode}: cat > /dev/null               ${rate(c.s)}`);
      say(`run ${r} ${mode}: hub+media link → curl         ${rate(total, created.value.bytes)} (head ${(created.s * 1000).toFixed(0)} ms, download ${rate(got.s, created.value.bytes)}); ` +
        `state ${status.state}${status.error ? ` (${status.error})` : ''}, ${same ? 'same bytes and SHA-256 as the handler alone' : 'DIFFERENT from the handler alone'}; ` +
        `CPU agent ${agentCpu.toFixed(2)} s, hub ${hubCpu.toFixed(2)} s; ${(c.s / total).toFixed(2)}× cat's throughput`);
    }
  }
} finally {
  for (const s of stopAll.reverse()) await s().catch((err: unknown) => console.error(err));
  stopAll = [];
  work.remove();
}
