// Live video against the agent's own traffic on a slow uplink: does watching more video than the
// uplink carries starve the outbox (a camera going offline must still reach the hub within
// seconds) and the hub's requests to the agent (every console page that asks the site)?
//
// The site (6 simulated cameras, noisy 720p at 2 Mbit/s each, and a real agent) sits behind the
// shaped uplink of test/support/shaped-link.ts (8 Mbit/s, 40 ms round trip); the hub and the
// viewers in another namespace. Two phases, the same measurements in each:
//   idle       nobody watches;
//   saturated  one viewer on each camera's main stream: 12 Mbit/s of video asked of an 8 Mbit/s uplink.
// Measured: a camera's RTSP server stopped at the site, to the hub telling a console it is offline
// (the outbox's camera event over the main link), --trials times; the round trip of a hub-to-agent
// request (`GET /api/cameras/:id/recordings`, the agent's recordings.ranges), --trials × 3 times;
// and in the saturated phase, what the viewers got (kbit/s each) and the uplink's rate.
// Run (root): pnpm exec tsx test/bench/uplink-share.ts [--trials 10] [--cameras 6]
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { watchCameras } from '../support/console-watch';
import { waitFor } from '../support/wait';
import { sleep, startSite, type Site } from './bench-site';
import { machineLine } from './proc';

const { values: opt } = parseArgs({ options: { trials: { type: 'string', default: '10' }, cameras: { type: 'string', default: '6' } } });
const TRIALS = Number(opt.trials);
const CAMERAS = Number(opt.cameras);
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
const figures = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (${xs.length})`;

/** One live viewer of each camera's main stream, counting the bytes each receives. */
function watchAll(site: Site): { bytes: number[]; close: () => void; ready: Promise<void> } {
  const bytes = site.cameras.map(() => 0);
  const sockets = site.cameras.map((c, i) => {
    const ws = new WebSocket(`${site.admin.baseUrl.replace(/^http/, 'ws')}/api/video/live?cameraId=${encodeURIComponent(c.id)}&stream=main`, { headers: { cookie: site.admin.cookie! } });
    ws.on('message', (d, binary) => { if (binary) bytes[i]! += (d as Buffer).length; });
    ws.on('error', () => undefined);
    return ws;
  });
  const ready = Promise.all(sockets.map((ws) => new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('close', (code) => reject(new Error(`live socket closed (${code})`)));
  }))).then(() => undefined);
  return { bytes, close: () => { for (const s of sockets) s.close(); }, ready };
}

async function phase(site: Site, name: string, watch: Awaited<ReturnType<typeof watchCameras>>): Promise<string[]> {
  const offline: number[] = [];
  const requests: number[] = [];
  // The last camera is the one stopped: its viewer (saturated phase) goes quiet while it is down.
  const target = site.cameras.length - 1;
  const id = site.cameras[target]!.id;
  const from = new Date(Date.now() - 3600_000).toISOString();
  const ask = async () => {
    const t0 = performance.now();
    await site.admin.json('GET', `/api/cameras/${encodeURIComponent(site.cameras[0]!.id)}/recordings?from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date().toISOString())}`);
    requests.push(performance.now() - t0);
  };
  for (let t = 0; t < TRIALS; t++) {
    for (let i = 0; i < 3; i++) { await ask(); await sleep(300); }
    const mark = watch.seen.length;
    const stopped = site.site.waitLine(new RegExp(`^CAMERA ${target} stop$`), 10_000);
    const t0 = Date.now();
    site.site.child.stdin!.write(`camera-stop ${target}\n`);
    await stopped;
    const off = await waitFor('offline at the hub', () => watch.seen.slice(mark).find((s) => s.view.info.id === id && s.view.health.state === 'offline'), 30_000, 10);
    offline.push(off.at - t0);
    const back = watch.seen.length;
    const started = site.site.waitLine(new RegExp(`^CAMERA ${target} start$`), 10_000);
    site.site.child.stdin!.write(`camera-start ${target}\n`);
    await started;
    await waitFor('online again', () => watch.seen.slice(back).find((s) => s.view.info.id === id && s.view.health.state === 'online'), 90_000, 50);
  }
  return [`${name}: camera stopped → offline at the hub: ${figures(offline)}`, `${name}: hub → agent request round trip: ${figures(requests)}`];
}

console.log(machineLine());
const site = await startSite({
  shape: { rateMbit: 8, rttMs: 40 }, cameras: CAMERAS, clock: false,
  // A real camera's weight: a noisy 720p picture at 2 Mbit/s.
  video: { width: 1280, height: 720, fps: 25, gop: 50, bitrateKbps: 2000, noise: 10 },
});
try {
  console.log(`link: 8 Mbit/s, 40 ms round trip; ${CAMERAS} cameras of 2 Mbit/s; round trip by ${site.link!.netem ? 'netem' : 'a delaying relay (no netem in this kernel)'}`);
  const watch = await watchCameras(site.admin.baseUrl, site.admin);
  try {
    await waitFor('every camera online at the hub', () => site.cameras.every((c) => watch.latest(c.id)?.view.health.state === 'online'), 60_000, 50);
    for (const line of await phase(site, 'idle', watch)) console.log(line);
    const viewers = watchAll(site);
    try {
      await viewers.ready;
      await sleep(5_000);
      const b0 = [...viewers.bytes];
      const tx0 = await site.link!.uplinkBytes();
      const t0 = Date.now();
      for (const line of await phase(site, `saturated (${CAMERAS} viewers)`, watch)) console.log(line);
      const seconds = (Date.now() - t0) / 1000;
      const kbps = (b: number) => ((b * 8) / seconds / 1000).toFixed(0);
      const tx = (await site.link!.uplinkBytes()) - tx0;
      console.log(`saturated: uplink ${kbps(tx)} kbit/s over ${seconds.toFixed(0)} s; each viewer got ${viewers.bytes.map((b, i) => kbps(b - b0[i]!)).join(', ')} kbit/s (the last camera was stopped for part of the time)`);
    } finally { viewers.close(); }
  } finally { watch.ws.close(); }
} finally { await site.close(); }
