// A newcomer's first minutes: `git clone` into an empty folder with nothing beside it, then the
// README's `npm run demo`. The console must come up with every simulated camera online and the
// drone flying, and the run must leave the newcomer's home folder untouched.
//
// Network rule: tests talk to loopback only, so the clone's pnpm store (.tools/pnpm-store) starts
// as a hard-linked copy of the one this checkout already filled, and pnpm is told to stay
// offline; everything else runs as a newcomer's would.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, type CliProcess } from '../support/cli-process';
import { HubClient } from '../support/hub-client';
import { repoRoot, tempDir } from '../support/paths';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

interface VehicleView { telemetry: { linkUp: boolean; lat?: number; lon?: number; altRelM?: number } }

/** The checkout's own pnpm store (`pnpm store path` names its versioned folder inside it). */
function filledStore(): string {
  const r = spawnSync('pnpm', ['store', 'path'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pnpm store path failed: ${r.stderr}`);
  return dirname(r.stdout.trim());
}

describe('a fresh clone', () => {
  const dir = tempDir('fresh-clone');
  const clone = join(dir.path, 'sargs');
  const home = join(dir.path, 'home');
  let demo: CliProcess | undefined;

  beforeAll(async () => {
    mkdirSync(home);
    const cloned = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone], { encoding: 'utf8' });
    if (cloned.status !== 0) throw new Error(`git clone failed: ${cloned.stderr}`);
    mkdirSync(join(clone, '.tools'));
    // Hard links when the store is on the same filesystem (it is, under the bootstrap's TMPDIR).
    const store = join(clone, '.tools', 'pnpm-store');
    const linked = spawnSync('cp', ['-al', filledStore(), store], { encoding: 'utf8' });
    if (linked.status !== 0) {
      rmSync(store, { recursive: true, force: true });
      const copied = spawnSync('cp', ['-a', filledStore(), store], { encoding: 'utf8' });
      if (copied.status !== 0) throw new Error(`copying the pnpm store failed: ${copied.stderr}`);
    }

    const [port, mavlinkPort] = [await freePort(), await freePort()];
    demo = await startProcess('npm', ['run', 'demo', '--', '--port', String(port), '--mavlink-port', String(mavlinkPort), '--drone-speed', '5'], /Console: (\S+)/, {
      cwd: clone,
      env: { PATH: process.env.PATH!, HOME: home, LANG: 'C.UTF-8', npm_config_offline: 'true' },
      timeoutMs: 240_000,
      what: 'npm run demo in the clone',
      group: true,
    });
  }, 300_000);

  afterAll(async () => {
    await demo?.stop('SIGINT');
    dir.remove();
  });

  it('runs the demo from the README: console up, four cameras online, one vehicle flying', { timeout: 180_000 }, async () => {
    const consoleUrl = demo!.ready;
    expect(demo!.adminPassword, demo!.output.join('\n')).toBeDefined();
    const admin = new HubClient(consoleUrl);
    await admin.signInFirstTime('admin', demo!.adminPassword!, 'a newcomer chose this');
    const page = await fetch(consoleUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script');

    await waitFor('four cameras online', async () => {
      const cams = await admin.json<{ health: { state: string } }[]>('GET', '/api/cameras');
      return cams.length === 4 && cams.every((c) => c.health.state === 'online');
    }, 60_000);
    const vehicle = await waitFor('the demo drone as a live vehicle with a position', async () => {
      const list = await admin.json<VehicleView[]>('GET', '/api/vehicles');
      return list.length === 1 && list[0]!.telemetry.linkUp && list[0]!.telemetry.lat !== undefined ? list[0] : undefined;
    }, 60_000);
    expect(vehicle.telemetry.lat).not.toBe(0);

    // Ctrl-C ends the demo and everything it started.
    await demo!.stop('SIGINT');
    const left = await fetch(consoleUrl).then(() => 'still answering', () => 'stopped');
    expect(left).toBe('stopped');
  });

  it('writes nothing into the newcomer\'s home folder (npm, pnpm, caches and temporary files stay in the clone)', () => {
    expect(readdirSync(home)).toEqual([]);
    // Where the run kept its temporary files instead (the bootstrap's TMPDIR).
    expect(readdirSync(join(clone, 'data'))).toEqual(expect.arrayContaining(['demo', 'tmp']));
  });
});
