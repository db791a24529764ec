// The demo's simulated cameras, the same devices every run: the same name and serial number per
// index (the agent derives a camera's id from its serial) and, when still free, the same ports.
import type { Agent } from '@sargs/agent';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import type { Logger } from 'pino';
import { CAMERA_USER } from './camera-password';

/** What every simulated camera reports as its manufacturer (sim/camera/state.ts). */
const SIMULATOR_MAKER = 'Sargs';
const CAMERA_NAMES = ['Entrance', 'Car park', 'Reception', 'Depot yard'];

export const demoCameraName = (i: number) => CAMERA_NAMES[i] ?? `Camera ${i + 1}`;
export const demoCameraSerial = (i: number) => `DEMO${String(i + 1).padStart(4, '0')}`;

/** Starts `count` cameras, on last run's ports where they can be bound, else on new ones. */
export async function startDemoCameras(
  count: number, password: string, ports: readonly { onvifPort: number; rtspPort: number }[], log: Logger,
): Promise<SimulatedCamera[]> {
  const cameras: SimulatedCamera[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const identity = { name: demoCameraName(i), serialNumber: demoCameraSerial(i), username: CAMERA_USER, password };
      const kept = ports[i];
      let cam: SimulatedCamera | undefined;
      if (kept && (kept.onvifPort || kept.rtspPort)) {
        cam = await SimulatedCamera.start({ ...identity, onvifPort: kept.onvifPort, rtspPort: kept.rtspPort }).catch((err: unknown) => {
          log.warn({ camera: identity.name, ports: kept, err: String(err) }, 'last run\'s camera ports are taken; the camera gets new ones');
          return undefined;
        });
      }
      cameras.push(cam ?? await SimulatedCamera.start(identity));
    }
  } catch (err) {
    await Promise.allSettled(cameras.map((c) => c.stop()));
    throw err;
  }
  return cameras;
}

/**
 * Onboards the cameras into the agent (a known one is updated in place, keeping its id and
 * recordings) and removes the simulated cameras of earlier runs that are not among them (an
 * older demo's, or those beyond a smaller --cameras). Cameras someone added by hand stay.
 */
export async function onboardDemoCameras(agent: Agent, cameras: readonly SimulatedCamera[], password: string): Promise<string[]> {
  const kept: string[] = [];
  for (const cam of cameras) {
    kept.push((await agent.cameras.add({ url: cam.deviceServiceUrl, username: CAMERA_USER, password, name: cam.name })).id);
  }
  for (const old of await agent.cameras.store.list()) {
    if (!kept.includes(old.id) && old.manufacturer === SIMULATOR_MAKER) await agent.cameras.remove(old.id);
  }
  return kept;
}
