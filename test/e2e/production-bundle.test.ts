import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, repoRoot, tempDir } from '../support/paths';
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

  it('summarises a flight log', () => {
    const out = execFileSync(process.execPath, [BUNDLE, 'flights', 'summarize', '--json', join(fixturesDir, 'mavlink', 'arduplane-vtol-sitl.tlog')], { stdio: ['ignore', 'pipe', 'ignore'] });
    const flights = JSON.parse(out.toString()) as { systemId: number; vehicleType: string }[];
    expect(flights).toHaveLength(1);
    expect(flights[0]).toMatchObject({ systemId: 1, vehicleType: 'fixed-wing' });
  });
});
