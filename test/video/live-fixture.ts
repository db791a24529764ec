// What the live-view tests share: a real hub and agent in this process, simulated cameras added
// through the hub's API, a WebSocket viewer of /api/video/live, and a count of the RTSP sessions a
// simulated camera is serving.
import { execFileSync } from 'node:child_process';
import type { Agent } from '@sargs/agent';
import type { RunningHub } from '@sargs/hub';
import { SimulatedCamera, type SimulatedCameraOptions } from '@sargs/sim/camera/index';
import WebSocket from 'ws';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

export interface LiveSite {
  hub: RunningHub;
  admin: HubClient;
  agent: Agent;
  siteId: string;
  cameras: { cam: SimulatedCamera; id: string }[];
  /** Every log line of the hub and the agent so far (pino objects, debug and up). */
  hubLogs: Record<string, unknown>[];
  agentLogs: Record<string, unknown>[];
  close: () => Promise<void>;
}

/** A hub, an agent recording `count` simulated cameras (2 s segments), every camera online. */
export async function liveSite(count: number, name = 'Live', camera: Partial<SimulatedCameraOptions> = {}): Promise<LiveSite> {
  const dir = tempDir('live');
  const { hub, admin, logs: hubLogs } = await hubWithAdmin(`${dir.path}/hub`);
  const site = await admin.createSite(`${name} site`);
  const { agent, logs: agentLogs } = await testAgent(hub.url, site.enrolmentToken, `${dir.path}/agent`, { recordings: { segmentSeconds: 2 } });
  const cameras: LiveSite['cameras'] = [];
  const close = async () => {
    await agent.stop();
    await Promise.all(cameras.filter(Boolean).map((c) => c.cam.stop()));
    await hub.close();
    dir.remove();
  };
  try {
    await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
    await waitFor('media link up', () => hub.media.isConnected(site.agent.id), 10_000);
    await Promise.all(Array.from({ length: count }, async (_, i) => {
      const cam = await SimulatedCamera.start({ ...camera, name: `${name} ${i + 1}`, username: 'admin', password: `secret-${i}` });
      cameras[i] = { cam, id: '' };
      const { id } = await admin.json<{ id: string }>('POST', `/api/sites/${site.site.id}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: `secret-${i}`, name: `${name} camera ${i + 1}` });
      cameras[i] = { cam, id };
    }));
    await waitFor('every camera online', async () => {
      const list = (await admin.json<{ cameras: { info: { id: string }; health: { state: string } }[] }>('GET', '/api/fleet')).cameras;
      return cameras.every((c) => list.find((x) => x.info.id === c.id)?.health.state === 'online');
    }, 40_000, 200);
  } catch (err) {
    await close();
    throw err;
  }
  return { hub, admin, agent, siteId: site.site.id, cameras, hubLogs, agentLogs, close };
}

/** Established TCP connections to a local port: the RTSP sessions a simulated camera serves. */
export function rtspSessions(port: number): number {
  const out = execFileSync('ss', ['-tnH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim()).length;
}

/** One viewer of /api/video/live over a plain WebSocket, as a browser would open it. */
export class LiveSocket {
  readonly texts: { type: string; [k: string]: unknown }[] = [];
  /** Binary messages: the init, then fragments. */
  readonly binaries: Buffer[] = [];
  closed: { code: number } | undefined;
  private readonly ws: WebSocket;

  constructor(baseUrl: string, cookie: string | undefined, query: string) {
    this.ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/video/live?${query}`, { headers: cookie ? { cookie } : {} });
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) this.binaries.push(data as Buffer);
      else this.texts.push(JSON.parse((data as Buffer).toString()) as { type: string });
    });
    this.ws.on('close', (code) => { this.closed = { code }; });
    this.ws.on('error', () => undefined);
  }

  /** Resolves with the HTTP status when the hub refuses the upgrade, or 101 when it accepts. */
  static status(baseUrl: string, cookie: string | undefined, query: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/video/live?${query}`, { headers: cookie ? { cookie } : {} });
      ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); res.resume(); ws.terminate(); });
      ws.on('open', () => { resolve(101); ws.close(); });
      ws.on('error', (err) => reject(err));
    });
  }

  /** Fragments received (binary messages after the first, which is the init). */
  get fragments(): number { return Math.max(0, this.binaries.length - 1); }
  get open(): boolean { return this.ws.readyState === WebSocket.OPEN; }

  close(): void { this.ws.close(); }
}
