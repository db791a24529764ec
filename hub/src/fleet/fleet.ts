import { EventEmitter } from 'node:events';
import type { AgentView, CameraView, FleetSnapshot, SiteView } from '@sargs/shared';
import { CameraRegistry } from '../cameras/camera-registry';
import type { HubStore } from '../store/hub-store';
import type { AgentRecord, SiteRecord } from '../store/records';

interface LiveState { online: boolean; outboxPending: number | null }

export interface FleetEvents {
  agent: [AgentView];
  site: [SiteView];
  camera: [CameraView];
}

/**
 * The live picture of sites and agents: persistent facts from the store plus what only
 * exists while an agent is connected. Consoles subscribe to its changes.
 */
export class Fleet extends EventEmitter<FleetEvents> {
  private readonly live = new Map<string, LiveState>();
  readonly cameras: CameraRegistry;

  constructor(private readonly store: HubStore) {
    super();
    this.setMaxListeners(0);
    this.cameras = new CameraRegistry(store, (id) => this.isOnline(id));
    this.cameras.on('camera', (v) => this.emit('camera', v));
  }

  view(a: AgentRecord): AgentView {
    const l = this.live.get(a.id);
    return {
      id: a.id, siteId: a.siteId, name: a.name, online: l?.online ?? false, lastSeen: a.lastSeen,
      version: a.version, hostname: a.hostname, revoked: a.revoked, outboxPending: l?.outboxPending ?? null,
    };
  }

  siteView(s: SiteRecord): SiteView {
    return { id: s.id, name: s.name, createdAt: s.createdAt };
  }

  async snapshot(): Promise<FleetSnapshot> {
    const [sites, agents] = await Promise.all([this.store.listSites(), this.store.listAgents()]);
    sites.sort((a, b) => a.name.localeCompare(b.name));
    agents.sort((a, b) => a.name.localeCompare(b.name));
    return { sites: sites.map((s) => this.siteView(s)), agents: agents.map((a) => this.view(a)), cameras: await this.cameras.list() };
  }

  /** The site's connected, unrevoked agent: the one that can reach its cameras. */
  async siteAgent(siteId: string): Promise<AgentRecord | undefined> {
    return (await this.store.listAgents()).find((a) => a.siteId === siteId && !a.revoked && this.isOnline(a.id));
  }

  isOnline(agentId: string): boolean {
    return this.live.get(agentId)?.online ?? false;
  }

  setLive(a: AgentRecord, patch: Partial<LiveState>): void {
    const cur = this.live.get(a.id) ?? { online: false, outboxPending: null };
    const next = { ...cur, ...patch };
    this.live.set(a.id, next);
    if (next.online !== cur.online || next.outboxPending !== cur.outboxPending) this.emit('agent', this.view(a));
    if (next.online !== cur.online) void this.cameras.agentLiveness(a.id);
  }

  agentChanged(a: AgentRecord): void {
    this.emit('agent', this.view(a));
  }

  siteChanged(s: SiteRecord): void {
    this.emit('site', this.siteView(s));
  }
}
