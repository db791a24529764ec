import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AgentGateway } from '../agents/agent-gateway';
import type { Fleet } from '../fleet/fleet';
import type { VehicleRegistry } from '../flights/vehicle-registry';
import type { HubStore } from '../store/hub-store';
import { replyAgentError } from './agent-errors';

const SiteParam = Type.Object({ siteId: Type.String({ maxLength: 64 }) });
const VehicleQuery = Type.Object({ siteId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });

/** Drones are the pilots' business, and IT staff watch over the links; security staff do not see them. */
export const DRONE_ROLES = ['admin', 'operator', 'pilot'] as const;

export function vehicleRoutes(app: FastifyInstance, deps: { vehicles: VehicleRegistry; store: HubStore; fleet: Fleet; agents: AgentGateway }): void {
  /** Every vehicle the agents report, with its latest telemetry; `current: false` while its agent is offline. */
  app.get('/api/vehicles', { config: { access: DRONE_ROLES }, schema: { querystring: VehicleQuery } }, async (req) => {
    const { siteId } = req.query as { siteId?: string };
    const all = deps.vehicles.list();
    return siteId ? all.filter((v) => v.siteId === siteId) : all;
  });

  /** The site agent's MAVLink endpoints as it sees them now: up or down, frames, bytes, CRC errors, sequence gaps. */
  app.get('/api/sites/:siteId/mavlink-links', { config: { access: DRONE_ROLES }, schema: { params: SiteParam } }, async (req, reply) => {
    const { siteId } = req.params as { siteId: string };
    if (!(await deps.store.getSite(siteId))) return reply.code(404).send({ error: `no site "${siteId}"` });
    const agent = await deps.fleet.siteAgent(siteId);
    if (!agent) return reply.code(503).send({ error: 'no agent of this site is connected' });
    return deps.agents.request(agent.id, 'drones.links', {}, 10_000).catch((err: unknown) => replyAgentError(reply, err));
  });
}
