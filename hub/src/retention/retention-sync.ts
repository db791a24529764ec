import type { FastifyBaseLogger } from 'fastify';
import type { AgentGateway } from '../agents/agent-gateway';
import type { Fleet } from '../fleet/fleet';
import type { HubStore } from '../store/hub-store';

/**
 * Gets each site's retention policy onto its agent: at once when it is set, and again
 * whenever an agent that has not confirmed it connects (it was offline, or restored).
 */
export class RetentionSync {
  constructor(private readonly deps: { store: HubStore; fleet: Fleet; agents: AgentGateway; log: FastifyBaseLogger }) {
    deps.fleet.on('agent', (a) => {
      if (a.online) void this.push(a.siteId, a.id);
    });
  }

  /** Returns true when the agent confirmed the site's current policy. */
  async push(siteId: string, agentId: string): Promise<boolean> {
    const cur = await this.deps.store.getRetention(siteId);
    if (!cur || cur.applied?.agentId === agentId) return Boolean(cur);
    try {
      const r = await this.deps.agents.request(agentId, 'retention.set', cur.policy, 15_000);
      const latest = await this.deps.store.getRetention(siteId);
      // Only mark it applied if nobody changed the policy while the agent was applying it.
      if (latest && JSON.stringify(latest.policy) === JSON.stringify(r.applied)) {
        await this.deps.store.putRetention(siteId, { ...latest, applied: { at: r.appliedAt, agentId } });
        return true;
      }
    } catch (err) {
      this.deps.log.warn({ siteId, agentId, err: (err as Error).message }, 'retention policy not applied yet');
    }
    return false;
  }
}
