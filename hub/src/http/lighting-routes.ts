import { checkLightingSetup, LightingSetup } from '@sargs/shared';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AgentGateway } from '../agents/agent-gateway';
import type { AuditLog } from '../audit/audit-log';
import type { Fleet } from '../fleet/fleet';
import { LIGHTING_READERS, LIGHTING_SWITCHERS, type LightingHub } from '../lighting/lighting-hub';
import type { HubStore } from '../store/hub-store';
import { replyAgentError } from './agent-errors';

const SiteParam = Type.Object({ siteId: Type.String({ maxLength: 64 }) });
const SceneParams = Type.Object({ siteId: Type.String({ maxLength: 64 }), scene: Type.String({ minLength: 1, maxLength: 64 }) });
const Override = Type.Object({
  state: Type.Union([Type.Literal('on'), Type.Literal('off')]),
  minutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, description: 'how long the override lasts; then the schedule resumes' }),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });

export interface LightingRouteDeps { store: HubStore; fleet: Fleet; agents: AgentGateway; audit: AuditLog; lighting: LightingHub }

/**
 * A site's lighting: its state (scenes, schedules, what each universe sends) for IT staff and
 * security; switching a scene for a while, resuming its schedule and replacing the setup for
 * IT staff. Every change is in the audit log.
 */
export function lightingRoutes(app: FastifyInstance, deps: LightingRouteDeps): void {
  /** The site's connected agent, or a reply saying why there is none. */
  const siteAgent = async (siteId: string, reply: FastifyReply) => {
    if (!(await deps.store.getSite(siteId))) return void reply.code(404).send({ error: `no site "${siteId}"` });
    const agent = await deps.fleet.siteAgent(siteId);
    if (!agent) return void reply.code(503).send({ error: 'no agent of this site is connected' });
    return agent;
  };

  app.get('/api/sites/:siteId/lighting', { config: { access: LIGHTING_READERS }, schema: { params: SiteParam } }, async (req, reply) => {
    const { siteId } = req.params as { siteId: string };
    if (!(await deps.store.getSite(siteId))) return reply.code(404).send({ error: `no site "${siteId}"` });
    return deps.lighting.state(siteId);
  });

  // The body is checked by checkLightingSetup, whose message names the bad key and value
  // (ajv's names only the key); the schema stays for the OpenAPI document.
  app.put('/api/sites/:siteId/lighting', { config: { access: LIGHTING_SWITCHERS }, attachValidation: true, schema: { params: SiteParam, body: LightingSetup } }, async (req: FastifyRequest, reply) => {
    const check = checkLightingSetup(req.body, '');
    if (!check.ok) return reply.code(400).send({ error: check.error });
    if (req.validationError) return reply.code(400).send({ error: req.validationError.message });
    const { siteId } = req.params as { siteId: string };
    const agent = await siteAgent(siteId, reply);
    if (!agent) return reply;
    try {
      const state = await deps.agents.request(agent.id, 'lighting.configure', { setup: check.setup, by: req.user!.username });
      await deps.audit.append({ actor: req.user!.username, action: 'lighting.configure', target: siteId, details: { setup: check.setup } });
      return deps.lighting.remember(siteId, state, true);
    } catch (err) {
      return replyAgentError(reply, err);
    }
  });

  app.post('/api/sites/:siteId/lighting/scenes/:scene/override', { config: { access: LIGHTING_SWITCHERS }, schema: { params: SceneParams, body: Override } }, async (req, reply) => {
    const { siteId, scene } = req.params as { siteId: string; scene: string };
    const { state: to, minutes, reason } = req.body as { state: 'on' | 'off'; minutes: number; reason?: string };
    const agent = await siteAgent(siteId, reply);
    if (!agent) return reply;
    try {
      const state = await deps.agents.request(agent.id, 'lighting.override', { scene, state: to, minutes, by: req.user!.username });
      const until = state.scenes.find((s) => s.name === scene)?.override?.until;
      await deps.audit.append({ actor: req.user!.username, action: 'lighting.override', target: siteId, ...(reason ? { reason } : {}), details: { scene, state: to, minutes, until } });
      return deps.lighting.remember(siteId, state, true);
    } catch (err) {
      return replyAgentError(reply, err);
    }
  });

  app.delete('/api/sites/:siteId/lighting/scenes/:scene/override', { config: { access: LIGHTING_SWITCHERS }, schema: { params: SceneParams } }, async (req, reply) => {
    const { siteId, scene } = req.params as { siteId: string; scene: string };
    const agent = await siteAgent(siteId, reply);
    if (!agent) return reply;
    try {
      const state = await deps.agents.request(agent.id, 'lighting.resume', { scene, by: req.user!.username });
      await deps.audit.append({ actor: req.user!.username, action: 'lighting.resume', target: siteId, details: { scene } });
      return deps.lighting.remember(siteId, state, true);
    } catch (err) {
      return replyAgentError(reply, err);
    }
  });
}
