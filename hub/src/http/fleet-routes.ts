import { randomUUID } from 'node:crypto';
import { AgentCloseCode } from '@sargs/shared';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { MediaGateway } from '../video/media-gateway';
import type { AgentGateway } from '../agents/agent-gateway';
import { issueAgent } from '../agents/enrolment';
import type { Fleet } from '../fleet/fleet';
import type { HubStore } from '../store/hub-store';

const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '\\S' });
const NewSite = Type.Object({ name: Name, agentName: Type.Optional(Name) }, { additionalProperties: false });
const NewAgent = Type.Object({ name: Name }, { additionalProperties: false });
const SiteParam = Type.Object({ siteId: Type.String({ maxLength: 64 }) });
const AgentParam = Type.Object({ agentId: Type.String({ maxLength: 64 }) });
const EventQuery = Type.Object({
  after: Type.Integer({ minimum: 0, default: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
}, { additionalProperties: false });

const ALL = ['admin', 'operator', 'security', 'pilot'] as const;

export function fleetRoutes(app: FastifyInstance, deps: { store: HubStore; fleet: Fleet; agents: AgentGateway; media: Pick<MediaGateway, 'disconnect'> }): void {
  app.get('/api/fleet', { config: { access: ALL } }, () => deps.fleet.snapshot());

  app.post('/api/sites', { config: { access: ['admin'] }, schema: { body: NewSite } }, async (req, reply) => {
    const { name, agentName } = req.body as { name: string; agentName?: string };
    const site = { id: randomUUID(), name: name.trim(), createdAt: new Date().toISOString() };
    await deps.store.putSite(site);
    const { agent, token } = await issueAgent(deps.store, site.id, agentName?.trim() ?? `${site.name} gateway`);
    deps.fleet.siteChanged(site);
    deps.fleet.agentChanged(agent);
    req.log.info({ by: req.user?.username, siteId: site.id, agentId: agent.id }, 'site created');
    return reply.code(201).send({ site, agent: deps.fleet.view(agent), enrolmentToken: token });
  });

  app.post('/api/sites/:siteId/agents', { config: { access: ['admin'] }, schema: { params: SiteParam, body: NewAgent } }, async (req, reply) => {
    const { siteId } = req.params as { siteId: string };
    if (!(await deps.store.getSite(siteId))) return reply.code(404).send({ error: `no site "${siteId}"` });
    const { agent, token } = await issueAgent(deps.store, siteId, (req.body as { name: string }).name.trim());
    deps.fleet.agentChanged(agent);
    return reply.code(201).send({ agent: deps.fleet.view(agent), enrolmentToken: token });
  });

  app.post('/api/agents/:agentId/revoke', { config: { access: ['admin'] }, schema: { params: AgentParam } }, async (req, reply) => {
    const { agentId } = req.params as { agentId: string };
    const agent = await deps.store.getAgent(agentId);
    if (!agent) return reply.code(404).send({ error: `no agent "${agentId}"` });
    const revoked = { ...agent, revoked: true };
    await deps.store.putAgent(revoked);
    deps.agents.disconnect(agentId, AgentCloseCode.unauthorized, 'enrolment token has been revoked');
    deps.media.disconnect(agentId);
    deps.fleet.agentChanged(revoked);
    req.log.info({ by: req.user?.username, agentId }, 'agent token revoked');
    return deps.fleet.view(revoked);
  });

  app.get('/api/agents/:agentId/events', { config: { access: ['admin', 'operator'] }, schema: { params: AgentParam, querystring: EventQuery } }, async (req, reply) => {
    const { agentId } = req.params as { agentId: string };
    const { after, limit } = req.query as { after: number; limit: number };
    if (!(await deps.store.getAgent(agentId))) return reply.code(404).send({ error: `no agent "${agentId}"` });
    return deps.store.listEvents(agentId, after, limit);
  });
}
