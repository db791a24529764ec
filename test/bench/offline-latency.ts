// How soon the hub knows a camera went dark: a real hub and agent in this process, simulated
// cameras, the hub watched over the console WebSocket as a browser would. Each trial stops one
// camera's RTSP server ("stop": the socket closes) or freezes it ("freeze": the session stays
// open and frames stop, the 'last frame' case), measures from that call to the camera.changed
// that says offline, then restores it and waits for online. Cameras not being tested must stay
// online throughout; any other report for them is counted as false.
// Run: pnpm exec tsx test/bench/offline-latency.ts [trialsPerKind=20] [cameras=4]
import { Agent, parseAgentConfig } from '@sargs/agent';
import type { RunningHub } from '@sargs/hub';
import pino from 'pino';
import WebSocket from 'ws';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { hubWithAdmin } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';
import { machineLine } from './proc';
import { watchCameras } from '../support/console-watch';

const TRIALS = Number(process.argv[2] ?? 20);
const CAMERAS = Math.max(2, Number(process.argv[3] ?? 4));
const KINDS = ['freeze', 'stop'] as const;
type Kind = (typeof KINDS)[number];



function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${quantile(s, 0.5).toFixed(0)} ms, p95 ${quantile(s, 0.95).toFixed(0)} ms, max ${(s[s.length - 1] ?? NaN).toFixed(0)} ms (n=${s.length})`;
};

const hubDir = tempDir('bench-offline-hub');
const agentDir = tempDir('bench-offline-agent');
const silent = pino({ level: 'silent' });
const cams: SimulatedCamera[] = [];
let agent: Agent | undefined;
let hub: RunningHub | undefined;
let ws: WebSocket | undefined;
try {
  const h = await hubWithAdmin(hubDir.path);
  hub = h.hub;
  const admin = h.admin;
  const site = await admin.createSite('Bench parish');
  // Production health settings (stall 2 s against ffmpeg's writes looked at every 0.5 s, a probe
  // every 10 s while a camera is not online, every 5 min while it is). Only the
  // recorder's restart backoff is shortened: it decides how long recovery takes after a trial,
  // not how soon the outage is noticed, and production's 60 s ceiling would make 40 trials take an hour.
  const config = parseAgentConfig({ hub: { url: hub.url.replace(/^http/, 'ws'), enrolmentToken: site.enrolmentToken }, name: 'bench-gateway', dataDir: agentDir.path }, agentDir.path);
  agent = await Agent.start({ config, logger: silent, recorderTuning: { backoffMs: [1000, 2000], healthyAfterMs: 10_000 } });
  await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
  for (let i = 0; i < CAMERAS; i++) cams.push(await SimulatedCamera.start({ name: `Bench ${i + 1}`, username: 'admin', password: `secret-${i}` }));
  const watch = await watchCameras(hub.url, admin);
  ws = watch.ws;
  const ids: string[] = [];
  for (const [i, cam] of cams.entries()) {
    const r = await admin.request('POST', `/api/sites/${site.site.id}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: `secret-${i}`, name: cam.name });
    if (r.status !== 201) throw new Error(`adding ${cam.name}: ${r.status} ${JSON.stringify(r.body)}`);
    ids.push((r.body as { id: string }).id);
  }
  const allOnline = () => ids.every((id) => watch.latest(id)?.view.health.state === 'online');
  await waitFor('every camera online', allOnline, 60_000);
  const startMark = watch.seen.length;

  // The last camera is never touched: a control for false reports over the whole run.
  const control = ids.length - 1;
  const latency: Record<Kind, number[]> = { freeze: [], stop: [] };
  const recovery: Record<Kind, number[]> = { freeze: [], stop: [] };
  const reasons: Record<Kind, Record<string, number>> = { freeze: {}, stop: {} };
  const falseReports: { trial: string; camera: string; state: string; reason: string | null }[] = [];
  console.log(`machine: ${machineLine()}`);
  console.log(`${CAMERAS} cameras (640x360 25 fps, one untouched as a control), ${TRIALS} trials per kind; agent and hub in this process`);

  for (const kind of KINDS) {
    for (let t = 0; t < TRIALS; t++) {
      const k = t % control;
      const cam = cams[k]!;
      const id = ids[k]!;
      await waitFor('every camera online before the trial', allOnline, 60_000);
      // Let the recorder settle a little past the online report, as a camera that has been up a while.
      await new Promise((r) => setTimeout(r, 1000));
      const mark = watch.seen.length;
      const t0 = Date.now();
      await (kind === 'stop' ? cam.stopStream() : cam.freeze());
      const off = await waitFor('offline in the hub', () => watch.seen.slice(mark).find((s) => s.view.info.id === id && s.view.health.state === 'offline'), 30_000, 10);
      latency[kind].push(off.at - t0);
      const reason = off.view.health.reason ?? 'none';
      reasons[kind][reason] = (reasons[kind][reason] ?? 0) + 1;
      const restoreMark = watch.seen.length;
      const t1 = Date.now();
      await (kind === 'stop' ? cam.startStream() : cam.unfreeze());
      const on = await waitFor('online again', () => watch.seen.slice(restoreMark).find((s) => s.view.info.id === id && s.view.health.state === 'online'), 90_000, 10);
      recovery[kind].push(on.at - t1);
      for (const s of watch.seen.slice(mark)) {
        if (s.view.info.id !== id && s.view.health.state !== 'online') {
          falseReports.push({ trial: `${kind} #${t + 1}`, camera: s.view.info.name, state: s.view.health.state, reason: s.view.health.reason });
        }
      }
      process.stdout.write(`${kind} #${t + 1} ${cam.name}: offline after ${off.at - t0} ms (${reason}), online ${on.at - t1} ms after restore\n`);
    }
  }
  const controlReports = watch.seen.slice(startMark).filter((s) => s.view.info.id === ids[control] && s.view.health.state !== 'online');

  console.log('');
  for (const kind of KINDS) {
    console.log(`${kind}: call → hub offline: ${summary(latency[kind])}; reasons ${JSON.stringify(reasons[kind])}`);
    console.log(`${kind}: restore → hub online: ${summary(recovery[kind])}`);
  }
  console.log(`non-online reports for cameras not under test: ${falseReports.length}${falseReports.length ? ` ${JSON.stringify(falseReports)}` : ''}`);
  console.log(`non-online reports for the control camera over the whole run: ${controlReports.length}`);
} finally {
  ws?.close();
  await agent?.stop();
  await Promise.allSettled(cams.map((c) => c.stop()));
  await hub?.close();
  hubDir.remove();
  agentDir.remove();
}
