// Recorded playback: from the user's action to the first decoded frame of the asked moment, in
// Debian's chromium on the camera page, with real parts (bench-site.ts: a clock camera painting its
// wall-clock ms into every frame and a whole agent in one child process, the hub as its own
// process). With `--link shaped` the site sits behind an 8 Mbit/s uplink with 40 ms round trip.
//
// The camera records for --record seconds in --segment second files first. Then two cases, each
// --tries times, to distinct random moments of the recorded range (clear of the file being written):
//   new playlist  the first seek after opening the camera page: a click on the timeline, which asks
//                 for the reason; timed from the reason's submit (the user's last action: session,
//                 playlist, init and part through hub and agent, append, decode) to the first frame
//                 presented (requestVideoFrameCallback presentationTime). The page is loaded afresh
//                 for every try.
//   in playlist   a click on the timeline while paused, inside the loaded playlist's window (the
//                 player only seeks): timed from the pointerup to the first frame of that moment.
// Every frame counted is checked against the asked moment by its burnt-in clock (clock − asked;
// the recorder stamps frames as they arrive, so about −40…−120 ms is right). The browser's HTTP
// cache is off (a first look at a moment, not a replay); the hub's own range cache stays on, so a
// try whose byte ranges an earlier try fetched is marked as such (hub-cached).
// Where the time goes comes from the page's resource timing (session POST, playlist, media ranges)
// and the last media byte to the frame (append and decode).
// Run: pnpm exec tsx test/bench/playback-seek.ts [--link loopback|shaped] [--tries 20] [--record 150] [--segment 10]
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { readClockFromRgba } from '@sargs/sim/camera/clock-pattern';
import { browser, sleep, startSite, type Site } from './bench-site';
import { machineLine } from './proc';

const { values: opt } = parseArgs({
  options: {
    link: { type: 'string', default: 'loopback' },
    tries: { type: 'string', default: '20' },
    record: { type: 'string', default: '150' },
    segment: { type: 'string', default: '10' },
  },
});
const SHAPED = opt.link === 'shaped';
const TRIES = Number(opt.tries);
const RECORD_S = Number(opt.record);
const SEGMENT_S = Number(opt.segment);
const REASON = 'benchmark: seek to first frame';
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
const ms = (x: number) => `${Math.round(x)} ms`;
const stats = (xs: number[]) => (xs.length ? `p50 ${ms(pct(xs, 50))}, p95 ${ms(pct(xs, 95))}, max ${ms(Math.max(...xs))}` : 'none');
const median = (xs: number[]) => pct(xs, 50);

interface Req { kind: 'session' | 'playlist' | 'media' | 'other'; start: number; end: number; ttfb: number; size: number }
interface Try {
  asked: number;
  /** Action to first presented frame, ms. */
  ms: number;
  /** The player's own figure (deck data-first-frame-ms): from its playAt, after the session is open. */
  product: number | null;
  /** Burnt-in clock of the first frame minus the asked moment; null when unreadable. */
  offset: number | null;
  /** The player's wall-clock time of that frame minus the asked moment. */
  wallOffset: number | null;
  /** Frames presented after the action before the one of the asked moment (0 when the first was it). */
  wrongFirst: number;
  reqs: Req[];
  /** The media ranges this try asked for were all asked for by an earlier try (the hub had them cached). */
  hubCached: boolean;
  /** The media requests before the frame, as file name and Range (from the request log). */
  asks: string[];
}

const PLAYBACK_VIDEO = '[data-testid=playback-video]';

/** Watches, in the page, for the first frame presented after the action that shows the asked moment. */
const arm = (page: Page, startOn: 'submit' | 'pointerup') => page.evaluate(`(() => {
  const read = (${readClockFromRgba.toString()});
  const v = document.querySelector('${PLAYBACK_VIDEO}');
  const c = document.createElement('canvas'); c.width = 256; c.height = 48;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  const deck = document.querySelector('.pb-deck');
  const player = document.querySelector('.pb-player');
  const st = window.__seek = { t0: null, frames: 0, done: null };
  document.addEventListener('${startOn}', () => { if (st.t0 === null) st.t0 = performance.now(); }, { capture: true, once: true });
  const step = (_now, meta) => {
    if (st.t0 === null || meta.presentationTime < st.t0) { v.requestVideoFrameCallback(step); return; }
    ctx.drawImage(v, 0, 0, 256, 48, 0, 0, 256, 48);
    const clock = read(ctx.getImageData(0, 0, 256, 48).data, 256);
    const asked = Number(deck.dataset.chosen);
    st.frames++;
    // The frame of the asked moment: its burnt-in clock within 3 s before it (or 1 s after).
    if (clock !== null && clock > asked - 3000 && clock < asked + 1000) {
      st.done = { at: meta.presentationTime, clock, asked, wall: player.dataset.wall ? Number(player.dataset.wall) : null };
      return;
    }
    v.requestVideoFrameCallback(step);
  };
  v.requestVideoFrameCallback(step);
  performance.clearResourceTimings();
  performance.setResourceTimingBufferSize(1000);
})()`);

/** Waits for the armed watch to see its frame; then the figures, with the requests made meanwhile. */
async function collect(page: Page): Promise<Try> {
  await page.waitForFunction(() => (window as unknown as { __seek: { done: unknown } }).__seek.done !== null, undefined, { timeout: 30_000, polling: 20 });
  // The deck writes its own figure in the frame callback that comes before ours.
  const r = await page.evaluate(`(() => {
    const st = window.__seek;
    const reqs = performance.getEntriesByType('resource').filter((e) => e.startTime >= st.t0 - 1 && e.startTime <= st.done.at)
      .map((e) => ({ name: e.name, start: e.startTime - st.t0, end: e.responseEnd - st.t0, ttfb: e.responseStart - e.startTime, size: e.encodedBodySize }));
    const product = document.querySelector('.pb-deck').dataset.firstFrameMs;
    return { t0: st.t0, done: st.done, frames: st.frames, reqs, product: product === undefined ? null : Number(product) };
  })()`) as { t0: number; done: { at: number; clock: number; asked: number; wall: number | null }; frames: number; reqs: (Omit<Req, 'kind'> & { name: string })[]; product: number | null };
  const reqs = r.reqs.map((q) => ({ ...q, kind: (/\/api\/video\/sessions/.test(q.name) ? 'session' : /playlist\.m3u8/.test(q.name) ? 'playlist' : /\/media\?/.test(q.name) ? 'media' : 'other') as Req['kind'] }));
  return {
    asked: r.done.asked, ms: r.done.at - r.t0, product: r.product, offset: r.done.clock - r.done.asked,
    wallOffset: r.done.wall === null ? null : r.done.wall - r.done.asked, wrongFirst: r.frames - 1, reqs,
    hubCached: false, asks: [],
  };
}

/** Distinct random moments in [from, to), at least `gap` ms apart. */
function moments(n: number, from: number, to: number, gap: number): number[] {
  const out: number[] = [];
  for (let i = 0; out.length < n && i < 10_000; i++) {
    const m = from + Math.random() * (to - from);
    if (out.every((x) => Math.abs(x - m) >= gap)) out.push(m);
  }
  return out;
}

/** Clicks the timeline at `ms` (the moment the timeline takes is whatever its pixel is; the deck says which). */
async function clickTimeline(page: Page, ms: number): Promise<void> {
  const track = page.locator('[data-testid=playback-timeline]');
  await track.scrollIntoViewIfNeeded();
  const box = (await track.boundingBox())!;
  const [from, to] = await track.evaluate((el) => [Number(el.dataset.from), Number(el.dataset.to)]);
  const x = box.x + ((ms - from!) / (to! - from!)) * box.width;
  await page.mouse.move(x, box.y + 10);
  await page.mouse.down();
  await page.mouse.up();
}

async function openCameraPage(page: Page, site: Site): Promise<void> {
  await page.goto('about:blank');
  await page.goto(`${site.hubUrl}/#/cameras/${site.cameras[0]!.id}`);
  await page.locator('[data-testid=playback-timeline] .pb-rec').first().waitFor({ timeout: 30_000 });
  // A first look at a moment: nothing from the browser's HTTP cache (the hub keeps its own).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
}

function summary(name: string, tries: Try[]): string {
  const lines = [`${name}, ${tries.length} tries: action to first frame ${stats(tries.map((t) => t.ms))}`];
  const product = tries.map((t) => t.product).filter((x): x is number => x !== null);
  if (product.length) lines.push(`  the player's own figure (data-first-frame-ms, from its playAt): ${stats(product)}`);
  const off = tries.map((t) => t.offset).filter((x): x is number => x !== null);
  const woff = tries.map((t) => t.wallOffset).filter((x): x is number => x !== null);
  lines.push(`  burnt-in clock − asked moment: median ${ms(median(off))}, range ${ms(Math.min(...off))}..${ms(Math.max(...off))}; ` +
    `player's time of the frame − asked: range ${ms(Math.min(...woff))}..${ms(Math.max(...woff))}; ` +
    `tries whose first frame was another moment: ${tries.filter((t) => t.wrongFirst > 0).length}`);
  const fetched = tries.filter((t) => t.reqs.some((q) => q.kind === 'media'));
  const buffered = tries.filter((t) => !t.reqs.some((q) => q.kind === 'media'));
  if (buffered.length) lines.push(`  ${buffered.length} already buffered (no request): ${stats(buffered.map((t) => t.ms))}; ${fetched.length} fetching media: ${stats(fetched.map((t) => t.ms))}`);
  const cached = fetched.filter((t) => t.hubCached);
  lines.push(`  ${cached.length} of ${fetched.length} fetching tries asked only for ranges an earlier try had asked for (hub range cache); the rest: ${stats(fetched.filter((t) => !t.hubCached).map((t) => t.ms))}`);
  // Where the time goes, medians over the tries that made the request.
  const phase = (kind: Req['kind']) => fetched.map((t) => t.reqs.filter((q) => q.kind === kind)).filter((qs) => qs.length);
  const sess = phase('session').map((qs) => qs[0]!);
  const pl = phase('playlist').map((qs) => qs[0]!);
  const media = phase('media');
  const parts: string[] = [];
  if (sess.length) parts.push(`session POST ends at ${ms(median(sess.map((q) => q.end)))}`);
  if (pl.length) parts.push(`playlist ${ms(median(pl.map((q) => q.start)))}→${ms(median(pl.map((q) => q.end)))} (${ms(median(pl.map((q) => q.end - q.start)))}, first byte after ${ms(median(pl.map((q) => q.ttfb)))})`);
  if (media.length) {
    parts.push(`first media request starts at ${ms(median(media.map((qs) => qs[0]!.start)))}, each takes ${ms(median(media.flat().map((q) => q.end - q.start)))} (first byte ${ms(median(media.flat().map((q) => q.ttfb)))}), ` +
      `${median(media.map((qs) => qs.length))} before the frame (${Math.round(median(media.map((qs) => qs.reduce((n, q) => n + q.size, 0))) / 1024)} KiB)`);
    // The last media response to end before the frame (later ones are the buffer ahead).
    const gaps = fetched.map((t) => t.ms - Math.max(0, ...t.reqs.filter((q) => q.kind === 'media' && q.end <= t.ms).map((q) => q.end)));
    parts.push(`last media byte to frame (append, decode, present) ${ms(median(gaps))}`);
  }
  if (parts.length) lines.push(`  where the time goes (medians): ${parts.join('; ')}`);
  // The slowest tries, request by request (ms from the action): what a p95 is made of.
  for (const t of [...tries].sort((a, b) => b.ms - a.ms).slice(0, 2)) {
    lines.push(`  slowest: ${ms(t.ms)}: ${t.reqs.filter((q) => q.kind !== 'other').map((q) => `${q.kind} ${Math.round(q.start)}→${Math.round(q.end)}`).join(', ') || 'no request'}${t.hubCached ? ' (hub-cached)' : ''}${t.asks.length ? ` [${t.asks.join('; ')}]` : ''}`);
  }
  return lines.join('\n');
}

/** A media request as the browser made it: which try, its URL and Range, and whether that try's frame had come yet. */
interface Logged { i: number; key: string; beforeFrame: boolean }

/** Marks tries whose media requests before their frame were all made before (by earlier tries, or their buffering ahead). */
function markCached(tries: Try[], log: Logged[]): void {
  for (const [i, t] of tries.entries()) {
    const seen = new Set(log.filter((l) => l.i < i).map((l) => l.key));
    const mine = log.filter((l) => l.i === i && l.beforeFrame).map((l) => l.key);
    t.hubCached = mine.length > 0 && mine.every((k) => seen.has(k));
    t.asks = mine.map((k) => { const [url, range] = k.split('|'); return `${decodeURIComponent(/path=([^&]+)/.exec(url!)?.[1] ?? '?').replace(/.*\//, '')} ${range}`; });
  }
}

// ---- the run --------------------------------------------------------------------------------

console.log(`machine: ${machineLine()}`);
console.log(`link: ${SHAPED ? '8 Mbit/s, 40 ms round trip (site and hub in their own network namespaces)' : 'loopback'}`);
const site = await startSite({ shape: SHAPED ? { rateMbit: 8, rttMs: 40 } : undefined, cameras: 1, clock: true, segmentSeconds: SEGMENT_S });
try {
  if (SHAPED) console.log(`round trip by ${site.link!.netem ? 'netem' : 'a delaying relay (no netem in this kernel)'}`);
  const cam = site.cameras[0]!;
  console.log(`recording ${RECORD_S} s in ${SEGMENT_S} s files…`);
  await sleep(RECORD_S * 1000);
  const now = Date.now();
  const tl = await site.admin.json<{ ranges: { start: string; end: string }[] }>('GET',
    `/api/video/cameras/${cam.id}/timeline?from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now).toISOString()}`);
  const first = Date.parse(tl.ranges[0]!.start);
  const last = Date.parse(tl.ranges[tl.ranges.length - 1]!.end);
  // Clear of the first second and of the file being written (its layout grows while it is read).
  const lo = first + 2000;
  const hi = Math.min(last, now) - SEGMENT_S * 1000 - 3000;
  console.log(`recorded ${((last - first) / 1000).toFixed(0)} s in ${tl.ranges.length} range(s); seeking within ${((hi - lo) / 1000).toFixed(0)} s of it`);

  const b = await browser(site);
  // Media requests (URL and Range) per try, for the hub-cache mark: resource timing has no headers.
  let log: Logged[] = [];
  let current = -1;
  let framed = false;
  b.context.on('request', (r) => {
    if (current >= 0 && /\/media\?/.test(r.url())) log.push({ i: current, key: `${r.url().replace(/session=[0-9a-f]+&?/, '')}|${r.headers().range ?? ''}`, beforeFrame: !framed });
  });
  const cold: Try[] = [];
  const warm: Try[] = [];
  let coldLog: Logged[] = [];
  try {
    const page = b.page;
    // New playlist: the first seek of a freshly opened camera page (session, playlist and all).
    for (const [i, m] of moments(TRIES, lo, hi, 2500).entries()) {
      await openCameraPage(page, site);
      await clickTimeline(page, m);
      const reason = page.locator('[data-testid=playback-reason]');
      await reason.locator('input').waitFor({ state: 'visible' });
      await reason.locator('input').fill(REASON);
      await arm(page, 'submit');
      current = i;
      framed = false;
      await reason.locator('button[type=submit]').click();
      cold.push(await collect(page));
      framed = true;
      // Let the try's fetches (the buffer ahead) go on a little before the next page load cancels them.
      await sleep(1500);
    }
    coldLog = log;
    log = [];
    current = -1;
    // In playlist: paused (scrubbing), every click inside the loaded playlist's window: a seek.
    const playing = await page.locator(PLAYBACK_VIDEO).evaluate((v: HTMLVideoElement) => !v.paused);
    if (playing) await page.locator('[data-testid=playback-play]').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid=playback-video]') as HTMLVideoElement).paused);
    for (const [i, m] of moments(TRIES, lo, hi, 2500).entries()) {
      await arm(page, 'pointerup');
      current = i;
      framed = false;
      await clickTimeline(page, m);
      warm.push(await collect(page));
      framed = true;
      await sleep(500);
    }
  } finally {
    await b.close();
  }
  markCached(cold, coldLog);
  markCached(warm, log);
  console.log(summary('new playlist (first seek on a freshly opened page; from the reason\'s submit)', cold));
  console.log(summary('in playlist (click on the timeline while paused; from the pointerup)', warm));
  console.log(`tries (ms): new playlist ${JSON.stringify(cold.map((t) => Math.round(t.ms)))}; in playlist ${JSON.stringify(warm.map((t) => Math.round(t.ms)))}`);
} finally {
  await site.close();
}
