import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent, loadAgentConfig } from '@sargs/agent';
import { issueAgent, startHub } from '@sargs/hub';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { SimulatedDrone } from '@sargs/sim/drone/index';
import pino from 'pino';
import { stringify } from 'yaml';
import { untilSignal } from '../options';
import { consoleDir } from '../paths';
import { printFirstAdmin } from './hub';

export interface DemoOptions { data: string; port: number; cameras: number; tlog: string; mavlinkPort: number }

const DEMO_SITE = 'Demo parish administration';
const CAMERA_NAMES = ['Entrance', 'Car park', 'Reception', 'Depot yard'];

export async function runDemo(o: DemoOptions): Promise<void> {
  const data = resolve(o.data);
  mkdirSync(data, { recursive: true });
  if (!existsSync(o.tlog)) throw new Error(`the drone's flight log ${o.tlog} is missing; pass one with --tlog FILE`);
  // Demo logs go to a file so the terminal shows only what a person needs.
  const logger = pino({ level: 'info' }, pino.destination({ dest: join(data, 'demo.log'), mkdir: true, sync: false }));

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => { for (const stop of stops.reverse()) await stop().catch(() => undefined); };
  try {
    let firstPassword: string | undefined;
    const hub = await startHub({ dataDir: join(data, 'hub'), port: o.port, consoleDir, logger: logger.child({ name: 'hub' }), onFirstAdmin: (p) => { firstPassword = p; } });
    stops.push(() => hub.close());

    const cameraPassword = randomBytes(9).toString('base64url');
    const cameras: SimulatedCamera[] = [];
    for (let i = 0; i < o.cameras; i++) {
      const cam = await SimulatedCamera.start({ name: CAMERA_NAMES[i] ?? `Camera ${i + 1}`, username: 'sargs', password: cameraPassword });
      stops.push(() => cam.stop());
      cameras.push(cam);
    }
    const drone = await SimulatedDrone.start({ tlog: o.tlog, transport: { kind: 'udp', host: '127.0.0.1', port: o.mavlinkPort }, speed: 1, loop: true });
    stops.push(async () => { await drone.stop(); });

    const configPath = await ensureAgentConfig(hub, data);
    const agent = await Agent.start({ config: loadAgentConfig(configPath), logger: logger.child({ name: 'agent' }) });
    stops.push(() => agent.stop());
    // Simulated cameras get new addresses every run: forget last run's, onboard this run's.
    for (const old of await agent.cameras.store.list()) await agent.cameras.remove(old.id);
    for (const cam of cameras) await agent.cameras.add({ url: cam.deviceServiceUrl, username: 'sargs', password: cameraPassword, name: cam.name });

    if (firstPassword) printFirstAdmin(firstPassword);
    console.log([
      `Sargs demo is running. Console: ${hub.url}`,
      firstPassword ? 'Sign in as "admin" with the one-time password above.'
        : `Sign in as "admin" with the password you chose (forgotten? stop the demo, run: pnpm sargs user reset-password admin --data ${join(data, 'hub')}).`,
      `Site "${DEMO_SITE}": agent config ${configPath}, recordings in ${join(data, 'agent', 'recordings')}`,
      ...cameras.map((c) => `  camera ${c.name.padEnd(11)} ONVIF ${c.deviceServiceUrl}  RTSP ${c.rtspUrl}  (user sargs, password ${cameraPassword})`),
      `  drone       replaying ${o.tlog} as MAVLink over UDP to 127.0.0.1:${o.mavlinkPort}`,
      `Logs: ${join(data, 'demo.log')}. Press Ctrl-C to stop.`,
    ].join('\n'));
    await untilSignal();
    console.log('Stopping the demo…');
  } finally {
    await stopAll();
  }
}

/** The first run enrols the demo site's agent; later runs reuse its token and refresh the camera list. */
async function ensureAgentConfig(hub: Awaited<ReturnType<typeof startHub>>, data: string): Promise<string> {
  const dir = join(data, 'agent');
  mkdirSync(dir, { recursive: true });
  const tokenFile = join(dir, 'enrolment-token');
  if (!existsSync(tokenFile) || !(await hub.store.getAgent(readFileSync(tokenFile, 'utf8').split('.')[1] ?? ''))) {
    const site = { id: randomBytes(8).toString('hex'), name: DEMO_SITE, createdAt: new Date().toISOString() };
    await hub.store.putSite(site);
    const { token } = await issueAgent(hub.store, site.id, 'Demo gateway');
    writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    chmodSync(tokenFile, 0o600);
  }
  const configPath = join(dir, 'agent.yaml');
  writeFileSync(configPath, stringify({
    hub: { url: hub.url.replace(/^http/, 'ws'), enrolmentTokenFile: 'enrolment-token' },
    name: 'Demo gateway',
    dataDir: '.',
    recordings: { segmentSeconds: 60 },
  }));
  return configPath;
}
