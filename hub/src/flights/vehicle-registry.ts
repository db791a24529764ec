import { EventEmitter } from 'node:events';
import type { AgentView, VehicleList, VehicleTelemetry, VehicleView } from '@sargs/shared';
import type { Fleet } from '../fleet/fleet';
import type { AgentRecord } from '../store/records';

interface AgentVehicles {
  siteId: string;
  /** False from the moment the agent goes offline until its next vehicle list. */
  current: boolean;
  vehicles: Map<string, VehicleTelemetry>;
}

/**
 * The live picture of every vehicle, per agent, from the agents' lossy `vehicles` messages
 * (about 2 Hz): the newest list replaces the last. Nothing is stored: after a hub restart
 * the next list (half a second later) rebuilds it. While an agent is offline its vehicles
 * stay listed with the last telemetry and `current: false`, as cameras do.
 */
export class VehicleRegistry extends EventEmitter<{ vehicle: [VehicleView]; list: [AgentRecord, VehicleList] }> {
  private readonly agents = new Map<string, AgentVehicles>();
  private readonly onAgent = (v: AgentView) => this.agentChanged(v);

  constructor(private readonly fleet: Fleet) {
    super();
    this.setMaxListeners(0);
  }

  start(): void { this.fleet.on('agent', this.onAgent); }
  stop(): void { this.fleet.off('agent', this.onAgent); }

  list(): VehicleView[] {
    const out: VehicleView[] = [];
    for (const [agentId, a] of this.agents) for (const t of a.vehicles.values()) out.push(this.view(agentId, a, t));
    return out.sort((x, y) => x.siteId.localeCompare(y.siteId) || x.telemetry.vehicleKey.localeCompare(y.telemetry.vehicleKey));
  }

  /** The latest telemetry of one vehicle, if its agent ever reported it. */
  find(agentId: string, vehicleKey: string): VehicleView | undefined {
    const a = this.agents.get(agentId);
    const t = a?.vehicles.get(vehicleKey);
    return a && t ? this.view(agentId, a, t) : undefined;
  }

  /** Applies one agent's list: changed vehicles are pushed, vanished ones pushed once more as not current and dropped. */
  applyList(agent: AgentRecord, list: VehicleList): void {
    const prev = this.agents.get(agent.id);
    const next: AgentVehicles = { siteId: agent.siteId, current: true, vehicles: new Map() };
    for (const t of list.vehicles) next.vehicles.set(t.vehicleKey, t);
    this.agents.set(agent.id, next);
    const wasStale = prev ? !prev.current : false;
    for (const t of next.vehicles.values()) {
      const old = prev?.vehicles.get(t.vehicleKey);
      if (!wasStale && old && JSON.stringify(old) === JSON.stringify(t)) continue;
      this.emit('vehicle', this.view(agent.id, next, t));
    }
    for (const [key, old] of prev?.vehicles ?? []) {
      if (!next.vehicles.has(key)) this.emit('vehicle', { agentId: agent.id, siteId: agent.siteId, telemetry: old, current: false });
    }
    this.emit('list', agent, list);
  }

  private view(agentId: string, a: AgentVehicles, t: VehicleTelemetry): VehicleView {
    return { agentId, siteId: a.siteId, telemetry: t, current: a.current };
  }

  private agentChanged(v: AgentView): void {
    const a = this.agents.get(v.id);
    if (!a) return;
    if (v.revoked) {
      this.agents.delete(v.id);
      for (const t of a.vehicles.values()) this.emit('vehicle', { agentId: v.id, siteId: a.siteId, telemetry: t, current: false });
      return;
    }
    // Coming back online changes nothing yet: the telemetry is current once a new list arrives.
    if (v.online || !a.current) return;
    a.current = false;
    for (const t of a.vehicles.values()) this.emit('vehicle', this.view(v.id, a, t));
  }
}
