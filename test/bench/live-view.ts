// Live view, measured end to end with real parts: simulated cameras (painting their wall-clock ms
// into every frame) and a whole agent in one child process (live-site.ts), the hub as its own
// process, and the console's own player in Debian's chromium. With `--link shaped` the site runs
// in a network namespace behind an uplink limited to 8 Mbit/s with 40 ms round trip
// (test/support/shaped-link.ts), the hub and the browser in another.
//
// Parts (--parts, comma-separated; default all that apply to the link):
//   latency  glass-to-glass: the clock read back from each decoded frame (requestVideoFrameCallback)
//            against the time the frame is shown; p50/p95 over --frames frames, camera page, main stream
//   click    click to first frame of live view, cold (no one watching for longer than the hub's linger)
//   uplink   bytes on the site's uplink for 1 and for 10 viewers of one camera, against the stream's
//            own bitrate (its recording's growth over the same window); shaped link only
//   hubload  hub CPU and memory with 100 viewers (WebSocket clients) of 10 cameras; loopback only
//   agentload agent CPU (agent + its ffmpegs) for 4 live streams on top of 32 recording cameras; loopback only
//   grid     a 16-tile grid in one chromium: frames dropped of frames decoded over 30 s; loopback only
// Run: pnpm exec tsx test/bench/live-view.ts [--link loopback|shaped] [--parts latency,click] [--frames 250] [--tries 20]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { readClockFromRgba } from '@sargs/sim/camera/clock-pattern';
import { browser, sleep, startSite as startBenchSite, type Site } from './bench-site';
import type { SiteJob } from './live-site';
import { childrenNamed, CpuMeter, machineLine, procMemory, treeBytes } from './proc';

const { values: opt } = parseArgs({
  options: {
    link: { type: 'string', default: 'loopback' },
    parts: { type: 'string' },
    frames: { type: 'string', default: '250' },
    tries: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '30' },
  },
});
const SHAPED = opt.link === 'shaped';
const PARTS = new Set((opt.parts ?? (SHAPED ? 'latency,click,uplink' : 'latency,click,hubload,agentload,grid')).split(','));
const FRAMES = Number(opt.frames);
const TRIES = Number(opt.tries);
const SECONDS = Number(opt.seconds);
const HUB_LINGER_MS = 5_000;
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
const ms = (x: number) => `${x.toFixed(0)} ms`;

// ---- the parts of a run ---------------------------------------------------------------------

const startSite = (cameras: number, clock: boolean, video?: SiteJob['video']): Promise<Site> =>
  startBenchSite({ shape: SHAPED ? { rateMbit: 8, rttMs: 40 } : undefined, cameras, clock, ...(video ? { video } : {}) });

/** The camera page's live video element (web/src/video/live-panel.ts). */
const LIVE_VIDEO = '[data-testid="live-video"]';

// ---- measurements --------------------------------------------------------------------------

async function latency(site: Site): Promise<string> {
  const b = await browser(site);
  try {
    await b.page.goto(`${site.hubUrl}/#/cameras/${site.cameras[0]!.id}`);
    await b.page.waitForSelector(LIVE_VIDEO);
    const samples = await b.page.evaluate(`(async () => {
      const read = (${readClockFromRgba.toString()});
      const v = document.querySelector('${LIVE_VIDEO}');
      const c = document.createElement('canvas'); c.width = 256; c.height = 48;
      const ctx = c.getContext('2d', { willReadFrequently: true });
      const out = [];
      let unread = 0;
      await new Promise((done) => {
        const step = (_now, meta) => {
          ctx.drawImage(v, 0, 0, 256, 48, 0, 0, 256, 48);
          const t = read(ctx.getImageData(0, 0, 256, 48).data, 256);
          if (t === null) unread++; else out.push(performance.timeOrigin + meta.expectedDisplayTime - t);
          if (out.length >= ${FRAMES}) done(); else v.requestVideoFrameCallback(step);
        };
        v.requestVideoFrameCallback(step);
      });
      return { out, unread };
    })()`) as { out: number[]; unread: number };
    const l = samples.out;
    return `glass-to-glass over ${l.length} frames (${samples.unread} unreadable): p50 ${ms(pct(l, 50))}, p95 ${ms(pct(l, 95))}, max ${ms(Math.max(...l))}`;
  } finally { await b.close(); }
}

async function clickToFirstFrame(site: Site): Promise<string> {
  const b = await browser(site);
  const times: number[] = [];
  try {
    for (let i = 0; i < TRIES; i++) {
      await b.page.goto(`${site.hubUrl}/#/`);
      await b.page.waitForSelector(`a[href="#/cameras/${site.cameras[0]!.id}"]`);
      // Nobody watches for longer than the hub's linger: every try opens the camera's stream cold.
      await sleep(HUB_LINGER_MS + 2_000);
      const t = await b.page.evaluate(`(async () => {
        const t0 = performance.now();
        document.querySelector('a[href="#/cameras/${site.cameras[0]!.id}"]').click();
        let v;
        while (!(v = document.querySelector('${LIVE_VIDEO}'))) await new Promise((r) => setTimeout(r, 5));
        return await new Promise((r) => v.requestVideoFrameCallback((_n, meta) => r(meta.presentationTime - t0)));
      })()`) as number;
      times.push(t);
    }
  } finally { await b.close(); }
  return `click to first frame, cold, ${times.length} tries: p50 ${ms(pct(times, 50))}, p95 ${ms(pct(times, 95))}, max ${ms(Math.max(...times))}\n  each, in order: ${times.map((t) => t.toFixed(0)).join(', ')}`;
}

/** Live WebSocket clients of the hub, counting what they receive. */
function viewers(site: Site, cameraIds: string[], n: number, stream: 'main' | 'sub'): { bytes: () => number; close: () => void; ready: Promise<void> } {
  let bytes = 0;
  const sockets: WebSocket[] = [];
  const opened: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const id = cameraIds[i % cameraIds.length]!;
    const ws = new WebSocket(`${site.admin.baseUrl.replace(/^http/, 'ws')}/api/video/live?cameraId=${encodeURIComponent(id)}&stream=${stream}`, { headers: { cookie: site.admin.cookie! } });
    ws.on('message', (d, binary) => { if (binary) bytes += (d as Buffer).length; });
    ws.on('error', () => undefined);
    sockets.push(ws);
    opened.push(new Promise((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('close', (code) => reject(new Error(`live socket closed (${code})`)));
    }));
  }
  return { bytes: () => bytes, close: () => { for (const s of sockets) s.close(); }, ready: Promise.all(opened).then(() => undefined) };
}

async function uplink(site: Site): Promise<string> {
  const cam = site.cameras[0]!;
  const lines: string[] = [];
  for (const n of [1, 10]) {
    const v = viewers(site, [cam.id], n, 'main');
    await v.ready;
    await sleep(5_000); // past the start, so the window holds steady streaming only
    const tx0 = await site.link!.uplinkBytes();
    const rec0 = treeBytes(join(site.siteDir, 'recordings', cam.id));
    const got0 = v.bytes();
    await sleep(SECONDS * 1000);
    const tx = (await site.link!.uplinkBytes()) - tx0;
    const rec = treeBytes(join(site.siteDir, 'recordings', cam.id)) - rec0;
    const got = (v.bytes() - got0) / n;
    v.close();
    const kbps = (b: number) => `${((b * 8) / SECONDS / 1000).toFixed(0)} kbit/s`;
    lines.push(`${n} viewer${n > 1 ? 's' : ''}: uplink ${kbps(tx)}, stream (recording growth) ${kbps(rec)}, each viewer got ${kbps(got)}: uplink/stream ${(tx / rec).toFixed(3)}×`);
    await sleep(HUB_LINGER_MS + 2_000);
  }
  return lines.join('\n');
}

async function hubLoad(site: Site): Promise<string> {
  // The hub runs under tsx, which starts it as a child node process: measure that one.
  const pid = childrenNamed(site.hub.child.pid!, 'node')[0] ?? site.hub.child.pid!;
  const idle = new CpuMeter(() => [pid]);
  await sleep(10_000);
  idle.sample();
  const idleMem = procMemory(pid);
  const v = viewers(site, site.cameras.map((c) => c.id), 100, 'main');
  await v.ready;
  await sleep(5_000);
  const meter = new CpuMeter(() => [pid]);
  const got0 = v.bytes();
  await sleep(SECONDS * 1000);
  meter.sample();
  const mem = procMemory(pid);
  const got = v.bytes() - got0;
  v.close();
  return `hub, 100 viewers of 10 cameras (main streams): CPU ${((meter.cpuS / SECONDS) * 100).toFixed(1)} % of one core ` +
    `(idle ${((idle.cpuS / 10) * 100).toFixed(1)} %), RSS ${mem?.rssMb.toFixed(0)} MB (idle ${idleMem?.rssMb.toFixed(0)} MB), ` +
    `delivered ${((got * 8) / SECONDS / 1e6).toFixed(1)} Mbit/s to viewers`;
}

async function agentLoad(site: Site): Promise<string> {
  const measure = async () => {
    const pids = await site.sitePids();
    const m = new CpuMeter(() => pids);
    await sleep(SECONDS * 1000);
    m.sample();
    return (m.cpuS / SECONDS) * 100;
  };
  await sleep(5_000);
  const base = await measure();
  const v = viewers(site, site.cameras.slice(0, 4).map((c) => c.id), 4, 'main');
  await v.ready;
  await sleep(5_000);
  const live = await measure();
  v.close();
  return `agent + its ffmpegs, ${site.cameras.length} cameras recording: ${base.toFixed(1)} % of one core; with 4 live streams: ${live.toFixed(1)} % (+${(live - base).toFixed(1)} points)`;
}

async function grid(site: Site): Promise<string> {
  const b = await browser(site);
  try {
    await b.page.goto(`${site.hubUrl}/#/grid?size=16&cams=${site.cameras.map((c) => c.id).join(',')}`);
    // A function, not a string: the console's CSP forbids evaluating strings in the page.
    await b.page.waitForFunction(() => {
      const videos = Array.from(document.querySelectorAll('video'));
      return videos.length >= 16 && videos.every((v) => v.getVideoPlaybackQuality().totalVideoFrames > 0);
    }, undefined, { timeout: 60_000 });
    await sleep(5_000);
    const q = () => b.page.evaluate(`[...document.querySelectorAll('video')].map((v) => { const q = v.getVideoPlaybackQuality(); return [q.totalVideoFrames, q.droppedVideoFrames]; })`) as Promise<[number, number][]>;
    const a = await q();
    await sleep(SECONDS * 1000);
    const z = await q();
    const total = z.reduce((n, x, i) => n + x[0] - a[i]![0], 0);
    const dropped = z.reduce((n, x, i) => n + x[1] - a[i]![1], 0);
    return `16-tile grid, ${SECONDS} s: ${total} frames, ${dropped} dropped (${((dropped / Math.max(1, total)) * 100).toFixed(2)} %), ${(total / SECONDS / 16).toFixed(1)} fps a tile`;
  } finally { await b.close(); }
}

// ---- the run --------------------------------------------------------------------------------

console.log(`machine: ${machineLine()}`);
console.log(`link: ${SHAPED ? '8 Mbit/s, 40 ms round trip (site and hub in their own network namespaces)' : 'loopback'}`);
if (PARTS.has('latency') || PARTS.has('click')) {
  const site = await startSite(1, true);
  try {
    if (SHAPED) console.log(`round trip by ${site.link!.netem ? 'netem' : 'a delaying relay (no netem in this kernel)'}`);
    if (PARTS.has('latency')) console.log(await latency(site));
    if (PARTS.has('click')) console.log(await clickToFirstFrame(site));
  } finally { await site.close(); }
}
if (PARTS.has('uplink') && SHAPED) {
  // A stream of a real camera's weight: the clock cameras' plain picture compresses to ~40 kbit/s, where a
  // fragment header a frame would look large; a noisy 720p clip at 2 Mbit/s is what an uplink carries.
  const site = await startSite(1, false, { width: 1280, height: 720, fps: 25, gop: 50, bitrateKbps: 2000, noise: 10 });
  try { console.log(await uplink(site)); } finally { await site.close(); }
}
if (!SHAPED && PARTS.has('hubload')) {
  const site = await startSite(10, false);
  try { console.log(await hubLoad(site)); } finally { await site.close(); }
}
if (!SHAPED && PARTS.has('agentload')) {
  const site = await startSite(32, false, { width: 1920, height: 1080, fps: 25, gop: 50, bitrateKbps: 4000 });
  try { console.log(await agentLoad(site)); } finally { await site.close(); }
}
if (!SHAPED && PARTS.has('grid')) {
  const site = await startSite(16, false);
  try { console.log(await grid(site)); } finally { await site.close(); }
}
