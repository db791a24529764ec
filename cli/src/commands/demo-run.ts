// `sargs demo`: a hub, one site agent and a simulated site in one process. The simulated
// devices and the site's setup live in demo/, one job each.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Agent, loadAgentConfig } from '@sargs/agent';
import { startHub } from '@sargs/hub';
import pino from 'pino';
import { untilSignal } from '../options';
import { consoleDir } from '../paths';
import { CAMERA_USER, demoCameraPassword } from './demo/camera-password';
import { onboardDemoCameras, startDemoCameras } from './demo/cameras';
import { DemoDrone } from './demo/drone-flights';
import { DEMO_UNIVERSE, demoLightingSetup, describeScenes } from './demo/lighting-setup';
import { SimulatedLights } from './demo/simulated-lights';
import { DEMO_SITE, ensureAgentConfig } from './demo/site-config';
import { loadDemoState, saveDemoState } from './demo/state';
import { usableUdpPort } from './demo/udp-port';
import { printFirstAdmin } from './hub';

export interface DemoOptions { data: string; port: number; cameras: number; tlog: string; mavlinkPort: number; droneSpeed: number }

/** Long enough to see the lost link and the new logbook entry before the drone is back. */
const DRONE_PAUSE_S = 30;

const duration = (s: number) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);

export async function runDemo(o: DemoOptions): Promise<void> {
  const data = resolve(o.data);
  mkdirSync(data, { recursive: true });
  if (!existsSync(o.tlog)) throw new Error(`the drone's flight log ${o.tlog} is missing; pass one with --tlog FILE`);
  // Demo logs go to a file so the terminal shows only what a person needs.
  const logger = pino({ level: 'info' }, pino.destination({ dest: join(data, 'demo.log'), mkdir: true, sync: false }));
  const log = logger.child({ name: 'demo' });

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => { for (const stop of stops.reverse()) await stop().catch(() => undefined); };
  try {
    let firstPassword: string | undefined;
    const hub = await startHub({ dataDir: join(data, 'hub'), port: o.port, consoleDir, logger: logger.child({ name: 'hub' }), onFirstAdmin: (p) => { firstPassword = p; } });
    stops.push(() => hub.close());

    // The simulated site comes back as it was: the same cameras on the same ports, the same password.
    const state = loadDemoState(data);
    const cameraPassword = demoCameraPassword(data);
    const cameras = await startDemoCameras(o.cameras, cameraPassword.password, state.cameras, log);
    for (const cam of cameras) stops.push(() => cam.stop());
    const lights = await SimulatedLights.start(state.artnetPort);
    stops.push(() => lights.stop());
    const lighting = demoLightingSetup(lights.port);
    const dronePort = await usableUdpPort(state.dronePort);
    saveDemoState(data, { cameras: cameras.map((c) => ({ onvifPort: c.onvifPort, rtspPort: c.rtspPort })), dronePort, artnetPort: lights.port });

    const { configPath } = await ensureAgentConfig(hub, data, { dronePort, groundStationPort: o.mavlinkPort, lighting });
    const agent = await Agent.start({ config: loadAgentConfig(configPath), logger: logger.child({ name: 'agent' }) });
    stops.push(() => agent.stop());
    await onboardDemoCameras(agent, cameras, cameraPassword.password);

    const drone = await DemoDrone.start({
      tlog: o.tlog, port: dronePort, speed: o.droneSpeed, pauseMs: DRONE_PAUSE_S * 1000, log,
      onFlightEnd: (n) => console.log(`Drone: replay ${n} ended; its link shows lost within seconds and its flight goes to the logbook. The next replay starts in ${DRONE_PAUSE_S} s.`),
    });
    stops.push(() => drone.stop());

    if (firstPassword) printFirstAdmin(firstPassword);
    const pace = o.droneSpeed === 1 ? 'at the recorded pace' : `${o.droneSpeed}× faster than recorded`;
    console.log([
      `Sargs demo is running. Console: ${hub.url}`,
      firstPassword ? 'Sign in as "admin" with the one-time password above.'
        : `Sign in as "admin" with the password you chose (forgotten? stop the demo, run: pnpm sargs user reset-password admin --data ${join(data, 'hub')}).`,
      `Site "${DEMO_SITE}": agent config ${configPath}, recordings in ${join(data, 'agent', 'recordings')}`,
      ...cameras.map((c) => `  camera ${c.name.padEnd(11)} ONVIF ${c.deviceServiceUrl}  RTSP ${c.rtspUrl}`),
      `  cameras     user ${CAMERA_USER}, password in ${cameraPassword.file} (kept across restarts)`,
      `  drone       replays ${basename(o.tlog)} ${pace} (${duration(drone.replaySeconds)}) into the agent's MAVLink endpoint udp 127.0.0.1:${dronePort};`,
      `              the agent relays it to 127.0.0.1:${o.mavlinkPort} (point QGroundControl there). Each replay is one flight: when it ends`,
      `              the vehicle's link shows lost (#/drones) and the flight goes to the logbook (#/flights); the next starts ${DRONE_PAUSE_S} s later.`,
      `  lighting    Art-Net universe ${DEMO_UNIVERSE} to a simulated node on 127.0.0.1:${lights.port}; scenes ${describeScenes(lighting)}.`,
      '              Switch them on the console\'s lighting page (#/lighting); the "Lights" lines below show what the node receives.',
      `Logs: ${join(data, 'demo.log')}. Press Ctrl-C to stop.`,
    ].join('\n'));
    lights.report(DEMO_UNIVERSE, lighting.fixtures, (line) => console.log(line));
    await untilSignal();
    console.log('Stopping the demo…');
  } finally {
    await stopAll();
  }
}
