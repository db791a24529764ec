import { MAX_MISSION_ITEMS, type VehicleView } from '@sargs/shared';
import type { Mission } from '@sargs/shared/survey/mission-items';
import type { RuleCheckResult } from '@sargs/shared/survey/rules';
import { AgentRequestError, type AgentGateway } from '../agents/agent-gateway';
import type { AuditLog } from '../audit/audit-log';
import type { Fleet } from '../fleet/fleet';
import type { VehicleRegistry } from '../flights/vehicle-registry';
import type { HubStore } from '../store/hub-store';
import type { UploadBody } from './survey-api';
import { checkFor, fromWire, missionFromVehicle, pickFlight, refuseIfMustNotFly, resolveMissions, SurveyRequestError, toWire, vehicleItems } from './survey-service';
import type { SurveyStore } from './survey-store';

/** A transfer over a telemetry radio can take minutes for a long mission; the agent gives up on a silent vehicle well before this. */
export const MISSION_TRANSFER_TIMEOUT_MS = 5 * 60_000;

export interface VehicleMissionDeps {
  store: HubStore;
  survey: SurveyStore;
  fleet: Fleet;
  agents: AgentGateway;
  vehicles: Pick<VehicleRegistry, 'list'>;
  audit: AuditLog;
}

export interface UploadOutcome {
  siteId: string; systemId: number; flight: number; items: number; retries: number; durationMs: number; findings: RuleCheckResult['findings'];
}

/**
 * Puts a checked mission on a vehicle through its site's agent, and reads one back. A mission
 * that must not fly is refused before anything is sent; every upload attempt, done or failed,
 * is in the audit log with who, which vehicle, how many items and any authorisation relied on.
 */
export class VehicleMissions {
  constructor(private readonly deps: VehicleMissionDeps) {}

  async upload(actor: string, siteId: string, systemId: number, body: UploadBody): Promise<UploadOutcome> {
    const { agentId, vehicle } = await this.reach(siteId, systemId);
    const resolved = await resolveMissions(body, siteId, this.deps.survey);
    const { mission, flight } = pickFlight(resolved, body.flight);
    const check = await checkFor([mission], siteId, body.authorisation, this.deps.survey);
    refuseIfMustNotFly(check, 'uploaded');
    const items = vehicleItems(mission, vehicle.telemetry.autopilot);
    if (items.length > MAX_MISSION_ITEMS) throw new SurveyRequestError(400, `the mission has ${items.length} items; at most ${MAX_MISSION_ITEMS} can be uploaded`);
    const target = `${siteId}/sys${systemId}`;
    const details = { systemId, flight, items: items.length, source: resolved.source, autopilot: vehicle.telemetry.autopilot, authorisation: body.authorisation ?? null };
    try {
      const r = await this.deps.agents.request(agentId, 'mission.upload', { systemId, items: items.map(toWire) }, MISSION_TRANSFER_TIMEOUT_MS);
      await this.deps.audit.append({ actor, action: 'mission.upload', target, ...(body.authorisation ? { reason: `authorisation ${body.authorisation}` } : {}), details: { ...details, result: 'uploaded', retries: r.retries } });
      return { siteId, systemId, flight, items: r.count, retries: r.retries, durationMs: r.durationMs, findings: check.findings };
    } catch (err) {
      if (err instanceof AgentRequestError) {
        await this.deps.audit.append({ actor, action: 'mission.upload', target, details: { ...details, result: 'failed', error: err.message } });
      }
      throw err;
    }
  }

  async download(siteId: string, systemId: number): Promise<{ autopilot: string; mission: Mission; itemCount: number; retries: number; durationMs: number }> {
    const { agentId, vehicle } = await this.reach(siteId, systemId);
    const r = await this.deps.agents.request(agentId, 'mission.download', { systemId }, MISSION_TRANSFER_TIMEOUT_MS);
    const autopilot = vehicle.telemetry.autopilot;
    return { autopilot, mission: missionFromVehicle(r.items.map(fromWire), autopilot), itemCount: r.items.length, retries: r.retries, durationMs: r.durationMs };
  }

  /** The site's connected agent and the vehicle as it last reported, or why they cannot be reached. */
  private async reach(siteId: string, systemId: number): Promise<{ agentId: string; vehicle: VehicleView }> {
    if (!(await this.deps.store.getSite(siteId))) throw new SurveyRequestError(404, `no site "${siteId}"`);
    const agent = await this.deps.fleet.siteAgent(siteId);
    if (!agent) throw new SurveyRequestError(503, 'no agent of this site is connected');
    const seen = this.deps.vehicles.list().filter((v) => v.siteId === siteId && v.agentId === agent.id && v.telemetry.systemId === systemId);
    const vehicle = seen.find((v) => v.current && v.telemetry.linkUp) ?? seen[0];
    if (!vehicle) throw new SurveyRequestError(404, `no vehicle with system id ${systemId} has been heard at site "${siteId}"`);
    if (!vehicle.current || !vehicle.telemetry.linkUp) {
      throw new SurveyRequestError(409, `vehicle ${systemId}'s link is down (last heartbeat ${vehicle.telemetry.lastHeartbeatAt}); reconnect it before a mission transfer`);
    }
    if (vehicle.telemetry.conflict) throw new SurveyRequestError(409, `two vehicles use system id ${systemId} at this site; give one another id before a mission transfer`);
    return { agentId: agent.id, vehicle };
  }
}
