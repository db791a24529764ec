// What the demo keeps in its data folder so that a restart brings back the same simulated
// site: the ports its simulated devices listened on, so the camera addresses the agent stored
// and the MAVLink and Art-Net addresses in its configuration still lead somewhere.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DemoState {
  /** Per camera index. */
  cameras: { onvifPort: number; rtspPort: number }[];
  /** Where the agent listens for the drone's MAVLink. */
  dronePort?: number;
  /** The simulated Art-Net node. */
  artnetPort?: number;
}

const FILE = 'simulators.json';
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65_536;

/** The last run's state; empty for a new data folder, and for a damaged file (the ports are only a preference). */
export function loadDemoState(data: string): DemoState {
  const path = join(data, FILE);
  if (!existsSync(path)) return { cameras: [] };
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<Record<keyof DemoState, unknown>>;
    const cameras = Array.isArray(raw.cameras) ? raw.cameras : [];
    return {
      cameras: cameras.map((c: { onvifPort?: unknown; rtspPort?: unknown } | null) => ({
        onvifPort: isPort(c?.onvifPort) ? c.onvifPort : 0, rtspPort: isPort(c?.rtspPort) ? c.rtspPort : 0,
      })),
      ...(isPort(raw.dronePort) ? { dronePort: raw.dronePort } : {}),
      ...(isPort(raw.artnetPort) ? { artnetPort: raw.artnetPort } : {}),
    };
  } catch {
    return { cameras: [] };
  }
}

export function saveDemoState(data: string, state: DemoState): void {
  writeFileSync(join(data, FILE), JSON.stringify(state, null, 2) + '\n');
}
