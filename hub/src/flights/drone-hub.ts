import type { FastifyBaseLogger } from 'fastify';
import type { AgentGateway } from '../agents/agent-gateway';
import type { AlertEngine } from '../alerts/alert-engine';
import type { ConsoleGateway } from '../console-ws/console-gateway';
import type { Fleet } from '../fleet/fleet';
import { DRONE_ROLES } from '../http/vehicle-routes';
import type { HubStore } from '../store/hub-store';
import { analyseTlog } from './flight-analysis';
import { FlightLogAssembler } from './flight-log-assembler';
import { FlightStore, type TlogMeta } from './flight-store';
import { Logbook } from './logbook';
import { VehicleAlerts } from './vehicle-alerts';
import { VehicleRegistry } from './vehicle-registry';

/**
 * The hub's drone side in one place: live vehicles, link and conflict alerts, and the
 * flight logbook fed by the agents' flight logs. It hooks itself onto the agent gateway
 * and pushes to consoles, so the server only builds, starts and stops it.
 */
export class DroneHub {
  readonly vehicles: VehicleRegistry;
  readonly logbook: Logbook;
  readonly assembler: FlightLogAssembler;
  private readonly vehicleAlerts: VehicleAlerts;

  constructor(private readonly deps: { store: HubStore; fleet: Fleet; agents: AgentGateway; consoles: ConsoleGateway; alerts: AlertEngine; log: FastifyBaseLogger }) {
    const log = deps.log.child({ component: 'drones' });
    const flights = new FlightStore(deps.store.database);
    this.vehicles = new VehicleRegistry(deps.fleet);
    this.logbook = new Logbook({ flights, analyse: analyseTlog, log });
    this.assembler = new FlightLogAssembler({
      flights, events: deps.store, log,
      file: (meta) => this.logbook.fileTlog(meta),
      rejected: (meta, reason) => this.logRejected(meta, reason),
    });
    this.vehicleAlerts = new VehicleAlerts({ alerts: deps.alerts, vehicles: this.vehicles, store: deps.store, log });

    deps.agents.onVehicles((agent, list) => this.vehicles.applyList(agent, list));
    deps.agents.onEvent('vehicle.link', (agent, ev) => this.vehicleAlerts.linkEvent(agent, ev.data));
    deps.agents.onEvent('vehicle.conflict', (agent, ev) => this.vehicleAlerts.conflictEvent(agent, ev.data));
    deps.agents.onEvent('flight.log', async (agent, ev) => { await this.assembler.handle(agent, ev.data); });
    this.vehicles.on('vehicle', (v) => deps.consoles.publish('vehicle.changed', v, DRONE_ROLES));
    this.logbook.on('flight', (f) => deps.consoles.publish('flight.changed', f, DRONE_ROLES));
  }

  /** Picks up flight logs a stopped hub left half done. */
  async start(): Promise<void> {
    this.vehicles.start();
    await this.vehicleAlerts.start();
    await this.assembler.start();
  }

  /** Resolves once no chunk is being written, so the database can close. */
  async stop(): Promise<void> {
    this.vehicles.stop();
    this.vehicleAlerts.stop();
    await this.assembler.idle();
  }

  private async logRejected(meta: TlogMeta, reason: string): Promise<void> {
    if (!meta.siteId) return;
    const agent = meta.agentId ? await this.deps.store.getAgent(meta.agentId) : undefined;
    await this.deps.alerts.raise({
      key: `flight-log:${meta.id}`, kind: 'flight-log.rejected', severity: 'warning', siteId: meta.siteId, ...(meta.agentId ? { agentId: meta.agentId } : {}),
      title: `A flight log from "${agent?.name ?? meta.agentId ?? 'an agent'}" was not filed`,
      detail: `Flight log ${meta.id} (system ${meta.systemId ?? '?'}, started ${meta.startedAt ?? '?'}, ${meta.bytes} bytes received): ${reason}. Its flights are not in the logbook; the original may still be on the site gateway.`,
    }, { countRepeat: false });
  }
}
