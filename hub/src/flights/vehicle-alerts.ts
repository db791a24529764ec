import { AgentEventData, type VehicleConflictEvent, type VehicleLinkEvent, type VehicleList } from '@sargs/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { AlertEngine } from '../alerts/alert-engine';
import type { AlertLog } from '../alerts/log';
import type { HubStore } from '../store/hub-store';
import type { AgentRecord } from '../store/records';
import type { VehicleRegistry } from './vehicle-registry';

const linkCheck = TypeCompiler.Compile(AgentEventData['vehicle.link']);
const conflictCheck = TypeCompiler.Compile(AgentEventData['vehicle.conflict']);

export const linkKey = (agentId: string, vehicleKey: string) => `vehicle-link:${agentId}:${vehicleKey}`;
export const conflictKey = (agentId: string, systemId: number) => `vehicle-conflict:${agentId}:${systemId}`;

const seconds = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

/**
 * Turns the agents' vehicle events into alerts. A lost link is raised at once: the agent
 * already waited 3.5 s without an autopilot heartbeat, which is the hold-down for a
 * vehicle, and a drone out of contact in the air cannot wait minutes. It is critical when
 * the vehicle was last seen armed (or its state is unknown), a warning when it was on
 * the ground disarmed (powered off after landing). Two vehicles on one system id raise
 * a warning that resolves when the agent's live list no longer flags the id.
 */
export class VehicleAlerts {
  /** Conflict alerts open right now, so the 2 Hz lists need no database read to resolve them. */
  private readonly openConflicts = new Set<string>();
  private readonly onList = (agent: AgentRecord, list: VehicleList) => this.listChanged(agent, list);

  constructor(private readonly deps: { alerts: AlertEngine; vehicles: VehicleRegistry; store: HubStore; log: AlertLog }) {}

  async start(): Promise<void> {
    for (const a of await this.deps.alerts.alerts.list({ open: true, limit: 10_000 })) {
      if (a.kind === 'vehicle.conflict') this.openConflicts.add(a.key);
    }
    this.deps.vehicles.on('list', this.onList);
  }

  stop(): void {
    this.deps.vehicles.off('list', this.onList);
  }

  /** Handler for outbox events `vehicle.link`. */
  async linkEvent(agent: AgentRecord, data: unknown): Promise<void> {
    if (!linkCheck.Check(data)) return void this.deps.log.warn({ agentId: agent.id }, 'vehicle.link event with invalid data: stored, not applied');
    const e: VehicleLinkEvent = data;
    const key = linkKey(agent.id, e.vehicleKey);
    const name = `${e.vehicleType} sys${e.systemId}${e.vehicleKey !== `sys${e.systemId}` ? ` (${e.vehicleKey})` : ''}`;
    const site = (await this.deps.store.getSite(agent.siteId))?.name ?? agent.siteId;
    if (e.state === 'lost') {
      const last = this.deps.vehicles.find(agent.id, e.vehicleKey)?.telemetry;
      const where = last?.lat !== undefined && last.lon !== undefined
        ? ` Last position ${last.lat.toFixed(6)}, ${last.lon.toFixed(6)}${last.altRelM !== undefined ? `, ${last.altRelM.toFixed(1)} m above home` : ''}.`
        : '';
      this.deps.log.warn({ agentId: agent.id, vehicleKey: e.vehicleKey, lastHeartbeatAt: e.lastHeartbeatAt }, 'vehicle link lost');
      await this.deps.alerts.raise({
        key, kind: 'vehicle.link-lost', severity: last?.armed === false ? 'warning' : 'critical', siteId: agent.siteId, agentId: agent.id,
        title: `Link to ${name} lost at ${site}`,
        detail: `No autopilot heartbeat since ${e.lastHeartbeatAt}${last ? ` (last seen ${last.armed ? 'armed' : 'disarmed'}, mode ${last.mode})` : ''}.${where}`,
      }, { countRepeat: false });
      return;
    }
    const done = await this.deps.alerts.resolve(key);
    this.deps.log.info({ agentId: agent.id, vehicleKey: e.vehicleKey }, 'vehicle link back');
    if (!done) return;
    await this.deps.alerts.notice({
      key: `vehicle-link-back:${agent.id}:${e.vehicleKey}`, kind: 'vehicle.link-back', severity: 'info', siteId: agent.siteId, agentId: agent.id,
      title: `Link to ${name} is back at ${site}`,
      detail: `Autopilot heartbeats again after ${seconds(Date.parse(done.resolvedAt!) - Date.parse(done.raisedAt))} (alert ${done.id}).`,
    });
  }

  /** Handler for outbox events `vehicle.conflict`. */
  async conflictEvent(agent: AgentRecord, data: unknown): Promise<void> {
    if (!conflictCheck.Check(data)) return void this.deps.log.warn({ agentId: agent.id }, 'vehicle.conflict event with invalid data: stored, not applied');
    const e: VehicleConflictEvent = data;
    const key = conflictKey(agent.id, e.systemId);
    this.deps.log.warn({ agentId: agent.id, systemId: e.systemId, detail: e.detail }, 'two vehicles share one system id');
    const site = (await this.deps.store.getSite(agent.siteId))?.name ?? agent.siteId;
    await this.deps.alerts.raise({
      key, kind: 'vehicle.conflict', severity: 'warning', siteId: agent.siteId, agentId: agent.id,
      title: `Two vehicles use system id ${e.systemId} at ${site}`,
      detail: `${e.detail} Commands from a ground station may reach both; give each vehicle its own SYSID_THISMAV.`,
    }, { countRepeat: false });
    this.openConflicts.add(key);
  }

  private listChanged(agent: AgentRecord, list: VehicleList): void {
    if (!this.openConflicts.size) return;
    const bySystem = new Map<number, boolean>();
    for (const v of list.vehicles) bySystem.set(v.systemId, (bySystem.get(v.systemId) ?? false) || v.conflict === true);
    for (const [systemId, conflict] of bySystem) {
      const key = conflictKey(agent.id, systemId);
      if (conflict || !this.openConflicts.has(key)) continue;
      this.openConflicts.delete(key);
      void this.deps.alerts.resolve(key).catch((err: unknown) => this.deps.log.error({ err, key }, 'resolving a vehicle conflict failed'));
    }
  }
}
