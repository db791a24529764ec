// The demo site at the hub and its agent's configuration file. The first run creates the site
// and enrols the agent; later runs find both again through the enrolment token kept in the data
// folder, so a restart never adds a second site or agent.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueAgent, type RunningHub } from '@sargs/hub';
import type { LightingSetup } from '@sargs/shared';
import { stringify } from 'yaml';

export const DEMO_SITE = 'Demo parish administration';
const GATEWAY = 'Demo gateway';

export interface DemoAgentSettings {
  /** Where the agent listens for the drone's MAVLink (udp-server on 127.0.0.1). */
  dronePort: number;
  /** Where it relays MAVLink for a ground station such as QGroundControl. */
  groundStationPort: number;
  lighting: LightingSetup;
}

/** Writes the agent's configuration (every run: ports may change) and returns its path and the agent's id. */
export async function ensureAgentConfig(hub: RunningHub, data: string, s: DemoAgentSettings): Promise<{ configPath: string; agentId: string }> {
  const dir = join(data, 'agent');
  mkdirSync(dir, { recursive: true });
  const tokenFile = join(dir, 'enrolment-token');
  let agentId = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim().split('.')[1] ?? '' : '';
  const known = agentId ? await hub.store.getAgent(agentId) : undefined;
  if (!known || known.revoked) {
    // A site left by a run whose agent folder was since deleted is reused, not duplicated.
    const site = (await hub.store.listSites()).find((x) => x.name === DEMO_SITE)
      ?? { id: randomBytes(8).toString('hex'), name: DEMO_SITE, createdAt: new Date().toISOString() };
    await hub.store.putSite(site);
    const { agent, token } = await issueAgent(hub.store, site.id, GATEWAY);
    agentId = agent.id;
    writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    chmodSync(tokenFile, 0o600);
  }
  const configPath = join(dir, 'agent.yaml');
  writeFileSync(configPath, stringify({
    hub: { url: hub.url.replace(/^http/, 'ws'), enrolmentTokenFile: 'enrolment-token' },
    name: GATEWAY,
    dataDir: '.',
    recordings: { segmentSeconds: 60 },
    drones: {
      endpoints: [
        { name: 'drone', kind: 'udp-server', host: '127.0.0.1', port: s.dronePort },
        { name: 'qgroundcontrol', kind: 'udp-client', host: '127.0.0.1', port: s.groundStationPort },
      ],
    },
    lighting: s.lighting,
  }));
  return { configPath, agentId };
}
