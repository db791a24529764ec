import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraView } from '@sargs/shared';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { hubWithAdmin } from '../support/in-process';
import { fixturesDir, repoRoot, tempDir } from '../support/paths';
import { waitFor } from '../support/wait';
import { freeUdpPort } from '../support/ports';

const BUNDLE = join(repoRoot, 'cli', 'dist', 'sargs.mjs');

/**
 * A gateway runs the bundled `sargs` (cli/build.mjs), not the TypeScript sources. Native
 * addons (LevelDB, serialport) must load from their packages, not from inside the bundle,
 * or the agent dies at start-up the moment a drone or lighting module is imported.
 */
describe('the production bundle', () => {
  const dir = tempDir('bundle');

  beforeAll(() => {
    // npm test builds before testing; a single-file run may not have.
    if (!existsSync(BUNDLE)) execFileSync('pnpm', ['run', '-s', 'build:cli'], { cwd: repoRoot, stdio: 'ignore' });
  }, 120_000);
  afterAll(() => dir.remove());

  it('starts an agent with MAVLink endpoints and says so', { timeout: 30_000 }, async () => {
    const port = await freeUdpPort();
    const config = join(dir.path, 'agent.yaml');
    writeFileSync(config, [
      'hub: { url: "ws://127.0.0.1:9", enrolmentToken: "sargs1.bundletest.0123456789abcdef" }',
      `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
      `drones: { endpoints: [ { name: radio, kind: udp-server, host: 127.0.0.1, port: ${port} } ] }`,
    ].join('\n'));
    const child = spawn(process.execPath, [BUNDLE, 'agent', '--config', config], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const started = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 20_000);
      for (const s of [child.stdout, child.stderr]) {
        createInterface({ input: s }).on('line', (l) => {
          lines.push(l);
          if (l.includes('"agent started"')) { clearTimeout(timer); resolve(true); }
        });
      }
      child.once('exit', () => { clearTimeout(timer); resolve(false); });
    });
    child.kill('SIGTERM');
    expect(started, lines.join('\n')).toBe(true);
    expect(lines.some((l) => l.includes('mavlink relay started'))).toBe(true);
  });

  it('records a camera: fluent-ffmpeg and the recorder work bundled', { timeout: 90_000 }, async () => {
    const hubDir = tempDir('bundle-hub');
    const { hub, admin } = await hubWithAdmin(hubDir.path);
    const cam = await SimulatedCamera.start({ name: 'Yard', username: 'admin', password: 'yard-secret' });
    const { site, agent, enrolmentToken } = await admin.createSite('Bundle parish');
    const config = join(dir.path, 'recording-agent.yaml');
    writeFileSync(config, [
      `hub: { url: ${JSON.stringify(hub.url.replace(/^http/, 'ws'))}, enrolmentToken: ${JSON.stringify(enrolmentToken)} }`,
      `dataDir: ${JSON.stringify(join(dir.path, 'recording-data'))}`,
    ].join('\n'));
    const child = spawn(process.execPath, [BUNDLE, 'agent', '--config', config], { cwd: dir.path, stdio: 'ignore' });
    try {
      await waitFor('the bundled agent online', async () => (await admin.agent(agent.id))?.online, 20_000);
      const added = await admin.request('POST', `/api/sites/${site.id}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: 'yard-secret' });
      expect(added.status).toBe(201);
      await waitFor('the camera recording (online)', async () => (await admin.json<CameraView[]>('GET', `/api/cameras?siteId=${site.id}`))[0]?.health.state === 'online', 45_000);
    } finally {
      child.kill('SIGTERM');
      await cam.stop();
      await hub.close();
      hubDir.remove();
    }
  });

  it('summarises a flight log', () => {
    const out = execFileSync(process.execPath, [BUNDLE, 'flights', 'summarize', '--json', join(fixturesDir, 'mavlink', 'arduplane-vtol-sitl.tlog')], { stdio: ['ignore', 'pipe', 'ignore'] });
    const flights = JSON.parse(out.toString()) as { systemId: number; vehicleType: string }[];
    expect(flights).toHaveLength(1);
    expect(flights[0]).toMatchObject({ systemId: 1, vehicleType: 'fixed-wing' });
  });
});
