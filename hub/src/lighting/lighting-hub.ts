import { LightingOutputEvent, LightingSwitched, type LightingState, type Role } from '@sargs/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyBaseLogger } from 'fastify';
import type { AgentGateway } from '../agents/agent-gateway';
import type { AlertEngine } from '../alerts/alert-engine';
import type { AuditLog } from '../audit/audit-log';
import type { ConsoleGateway } from '../console-ws/console-gateway';
import type { Fleet } from '../fleet/fleet';
import type { HubStore } from '../store/hub-store';
import type { AgentRecord } from '../store/records';

/**
 * Who may see a site's lighting: IT staff and security (guards want to know whether the yard
 * is lit). Switching and setting it up is IT staff's job. Pilots are not concerned.
 */
export const LIGHTING_READERS: readonly Role[] = ['admin', 'operator', 'security'];
export const LIGHTING_SWITCHERS: readonly Role[] = ['admin', 'operator'];

const switchedCheck = TypeCompiler.Compile(LightingSwitched);
const outputCheck = TypeCompiler.Compile(LightingOutputEvent);

export interface SiteLighting {
  /** False when the site's agent could not be asked: `state` is then the last one seen, if any. */
  current: boolean;
  fetchedAt: string | null;
  state: LightingState | null;
  problem: string | null;
}

export interface LightingHubDeps {
  store: HubStore;
  fleet: Fleet;
  agents: AgentGateway;
  consoles: ConsoleGateway;
  audit: AuditLog;
  alerts: AlertEngine;
  log: FastifyBaseLogger;
}

const outputKey = (agentId: string, universe: number) => `lighting-output:${agentId}:${universe}`;

/**
 * The hub's side of site lighting: asks agents for their lighting state (keeping the last
 * answer per site for when the agent is away), turns their lighting events into audit
 * entries and alerts, and tells open consoles when a site's lighting changed.
 */
export class LightingHub {
  private readonly last = new Map<string, { state: LightingState; at: string }>();

  constructor(private readonly deps: LightingHubDeps) {}

  /** Subscribes to the agents' lighting events; call once. */
  listen(): void {
    this.deps.agents.onEvent('lighting.switched', (agent, event) => this.switched(agent, event.data, event.at));
    this.deps.agents.onEvent('lighting.output', (agent, event) => this.output(agent, event.data));
  }

  async state(siteId: string): Promise<SiteLighting> {
    const agent = await this.deps.fleet.siteAgent(siteId);
    let problem = 'no agent of this site is connected';
    if (agent) {
      try {
        return this.remember(siteId, await this.deps.agents.request(agent.id, 'lighting.state', {}, 10_000));
      } catch (err) {
        problem = (err as Error).message;
      }
    }
    const last = this.last.get(siteId);
    return { current: false, fetchedAt: last?.at ?? null, state: last?.state ?? null, problem };
  }

  /** Keeps an agent's fresh answer and tells consoles. */
  remember(siteId: string, state: LightingState, publish = false): SiteLighting {
    const at = new Date().toISOString();
    this.last.set(siteId, { state, at });
    if (publish) this.changed(siteId);
    return { current: true, fetchedAt: at, state, problem: null };
  }

  changed(siteId: string): void {
    this.deps.consoles.publish('lighting.changed', { siteId }, LIGHTING_READERS);
  }

  private async switched(agent: AgentRecord, data: unknown, at: string): Promise<void> {
    if (!switchedCheck.Check(data)) return void this.deps.log.warn({ agentId: agent.id }, 'lighting.switched event with invalid data: stored, not applied');
    const why = data.cause === 'schedule' ? 'by its schedule'
      : data.cause === 'override' ? `by ${data.by ?? 'an operator'}'s override until ${data.until ?? '?'}`
        : data.cause === 'override-expired' ? 'as the manual override expired'
          : data.cause === 'resumed' ? `as ${data.by ?? 'an operator'} resumed the schedule`
            : `by a new setup${data.by ? ` from ${data.by}` : ''}`;
    await this.deps.audit.append({
      actor: `agent:${agent.id}`, action: 'lighting.switch', target: agent.siteId,
      reason: `scene "${data.scene}" switched ${data.on ? 'on' : 'off'} ${why}`,
      details: { ...data, at },
    });
    this.changed(agent.siteId);
  }

  private async output(agent: AgentRecord, data: unknown): Promise<void> {
    if (!outputCheck.Check(data)) return void this.deps.log.warn({ agentId: agent.id }, 'lighting.output event with invalid data: stored, not applied');
    const key = outputKey(agent.id, data.universe);
    if (data.status === 'down') {
      const site = await this.deps.store.getSite(agent.siteId);
      await this.deps.alerts.raise({
        key, kind: 'lighting.output-down', severity: 'warning', siteId: agent.siteId, agentId: agent.id,
        title: `Lighting interface down at ${site?.name ?? agent.siteId}`,
        detail: `Universe ${data.universe} (${data.driver}, ${data.target}): ${data.problem ?? 'not available'}. Its lights keep their last state or go dark, depending on the fixtures.`,
      }, { countRepeat: false });
    } else {
      await this.deps.alerts.resolve(key);
    }
    this.changed(agent.siteId);
  }
}
