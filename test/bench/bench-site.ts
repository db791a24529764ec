// The machinery of the benchmarks that drive a whole site from a browser (live-view.ts,
// playback-seek.ts): child processes with their output lines, a hub process, a site (simulated
// cameras and a real agent in one child, live-site.ts), optionally inside a shaped link
// (test/support/shaped-link.ts: 8 Mbit/s and 40 ms round trip by default), and Debian's chromium
// signed in as the hub's admin (in the hub's namespace when shaped).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { HubClient } from '../support/hub-client';
import { cliMain, repoRoot, tempDir, tsxBin } from '../support/paths';
import { freePort } from '../support/ports';
import { ShapedLink, type LinkShape } from '../support/shaped-link';
import type { SiteCamera, SiteJob } from './live-site';

const ADMIN_PASSWORD = 'bench live view password 2026';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Proc { child: ChildProcess; lines: string[]; waitLine: (re: RegExp, timeoutMs?: number) => Promise<RegExpExecArray> }

export function start(cmd: string, args: string[], what: string): Proc {
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<{ re: RegExp; resolve: (m: RegExpExecArray) => void }>();
  for (const s of [child.stdout!, child.stderr!]) {
    createInterface({ input: s }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 300) lines.shift();
      for (const w of waiters) { const m = w.re.exec(line); if (m) { waiters.delete(w); w.resolve(m); } }
    });
  }
  return {
    child, lines,
    waitLine: (re, timeoutMs = 120_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: no line ${re} within ${timeoutMs} ms:\n${lines.slice(-30).join('\n')}`)), timeoutMs);
      child.once('exit', (code) => reject(new Error(`${what} exited (${code}):\n${lines.slice(-30).join('\n')}`)));
      waiters.add({ re, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    }),
  };
}

export async function stop(p: Proc | undefined, viaStdin = false): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = once(p.child, 'exit');
  if (viaStdin) p.child.stdin!.end('stop\n'); else p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  // A process killed through a wrapper (tsx, ip netns exec) may leave its child holding our pipes,
  // which would keep this process alive after the run: let go of them.
  p.child.stdout?.destroy();
  p.child.stderr?.destroy();
  p.child.stdin?.destroy();
}

export interface Site {
  hubUrl: string;
  admin: HubClient;
  cameras: SiteCamera[];
  siteDir: string;
  link: ShapedLink | undefined;
  hub: Proc;
  site: Proc;
  chromiumPath: string;
  sitePids(): Promise<number[]>;
  close(): Promise<void>;
}

export interface SiteOptions {
  /** The site behind a shaped uplink (root and `ip netns` needed); loopback when undefined. */
  shape?: LinkShape | undefined;
  cameras: number;
  clock: boolean;
  video?: SiteJob['video'];
  segmentSeconds?: number;
}

export async function startSite(o: SiteOptions): Promise<Site> {
  const work = tempDir('bench-live');
  const link = o.shape ? await ShapedLink.create(o.shape) : undefined;
  const procs: Proc[] = [];
  let sitePrc: Proc | undefined;
  const close = async () => {
    // The site stops through its stdin (agent and cameras shut down cleanly); the hub, the relay
    // and the forwarder by signal. Last started, first stopped.
    for (const p of [...procs].reverse()) await stop(p, p === sitePrc);
    await link?.remove();
    work.remove();
  };
  try {
    const host = link ? link.hubAddress : '127.0.0.1';
    const port = link ? 18080 : await freePort();
    const inNs = (ns: string | undefined, cmd: string, args: string[]) => (ns ? link!.exec(ns, cmd, args) : { cmd, args });
    const h = inNs(link?.hubNs, tsxBin, [cliMain, 'hub', '--data', join(work.path, 'hub'), '--host', host, '--port', String(port)]);
    const hub = start(h.cmd, h.args, 'hub');
    procs.push(hub);
    const oneTime = hub.waitLine(/^\s*([A-Za-z0-9_-]{16,})\s*$/);
    const hubUrl = (await hub.waitLine(/Sargs hub listening on (\S+)/))[1]!.replace('0.0.0.0', host);
    // The hub's API is reached from this process: in shaped mode only through the namespace's veth,
    // which the root namespace cannot see, so API calls go through a tiny forwarder there.
    const apiUrl = link ? await forwarderInto(link.hubNs, host, port, procs) : hubUrl;
    const admin = new HubClient(apiUrl);
    await admin.signInFirstTime('admin', (await oneTime)[1]!, ADMIN_PASSWORD);
    const { enrolmentToken } = await admin.createSite('Bench site');
    let agentHub = hubUrl.replace(/^http/, 'ws');
    if (link && link.relayDelayMs > 0) {
      const r = start('ip', ['netns', 'exec', link.siteNs, tsxBin, join(repoRoot, 'test/support/delay-relay.ts'), '0', host, String(port), String(link.relayDelayMs)], 'delay relay');
      procs.push(r);
      agentHub = `ws://127.0.0.1:${(await r.waitLine(/^RELAY (\d+)/))[1]}`;
    }
    const siteDir = join(work.path, 'site');
    mkdirSync(siteDir, { recursive: true });
    const job: SiteJob = {
      dataDir: siteDir, hubUrl: agentHub, enrolmentToken, cameras: o.cameras, clock: o.clock,
      ...(o.video ? { video: o.video } : {}), ...(o.segmentSeconds ? { segmentSeconds: o.segmentSeconds } : {}),
    };
    const s = inNs(link?.siteNs, tsxBin, [join(repoRoot, 'test/bench/live-site.ts'), JSON.stringify(job)]);
    const site = start(s.cmd, s.args, 'site');
    procs.push(site);
    sitePrc = site;
    const list = JSON.parse((await site.waitLine(/^READY (.*)$/, 180_000))[1]!) as SiteCamera[];
    // The hub knows the cameras once the agent's list has arrived.
    for (let i = 0; ; i++) {
      const known = await admin.json<unknown[]>('GET', '/api/cameras');
      if (known.length >= o.cameras) break;
      if (i > 300) throw new Error('the hub never listed the cameras');
      await sleep(100);
    }
    const chromiumPath = link ? link.chromiumIn(work.path) : '/usr/bin/chromium';
    return {
      hubUrl, admin, cameras: list, siteDir, link, hub, site, chromiumPath, close,
      sitePids: async () => {
        site.child.stdin!.write('pids\n');
        return JSON.parse((await site.waitLine(/^PIDS (.*)$/))[1]!) as number[];
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A TCP forwarder on this namespace's loopback into the hub namespace, for API calls from this process. */
async function forwarderInto(ns: string, host: string, port: number, procs: Proc[]): Promise<string> {
  const local = await freePort();
  // Namespaces share no sockets: socat listens here and runs its upstream half inside the hub's namespace.
  const p = start('socat', [`TCP-LISTEN:${local},bind=127.0.0.1,reuseaddr,fork`, `EXEC:ip netns exec ${ns} socat STDIO TCP\\:${host}\\:${port}`], 'api forwarder');
  procs.push(p);
  for (let i = 0; i < 100; i++) {
    try { await fetch(`http://127.0.0.1:${local}/api/health`); return `http://127.0.0.1:${local}`; } catch { await sleep(100); }
  }
  throw new Error('api forwarder never answered');
}

/** Chromium (a fresh profile) signed in as the site's admin. */
export async function browser(site: Site): Promise<{ context: BrowserContext; page: Page; close: () => Promise<void> }> {
  const profile = tempDir('bench-live-chromium');
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: site.chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required'],
    viewport: { width: 1600, height: 1000 },
  });
  const [name, value] = site.admin.cookie!.split('=');
  await context.addCookies([{ name: name!, value: value!, url: site.hubUrl }]);
  const page = context.pages()[0] ?? await context.newPage();
  return { context, page, close: async () => { await context.close(); profile.remove(); } };
}
