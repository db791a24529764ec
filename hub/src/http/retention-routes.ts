import { RetentionPolicyView, type RetentionPolicyView as Policy, type StorageView } from '@sargs/shared';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AgentGateway } from '../agents/agent-gateway';
import type { AuditLog } from '../audit/audit-log';
import type { Fleet } from '../fleet/fleet';
import type { RetentionSync } from '../retention/retention-sync';
import type { HubStore } from '../store/hub-store';
import { replyAgentError } from './agent-errors';

const CameraParam = Type.Object({ cameraId: Type.String({ maxLength: 64 }) });
const HoldParams = Type.Object({ cameraId: Type.String({ maxLength: 64 }), holdId: Type.String({ maxLength: 64 }) });
const SiteParam = Type.Object({ siteId: Type.String({ maxLength: 64 }) });
const NewHold = Type.Object({
  from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }),
  reason: Type.String({ minLength: 5, maxLength: 500 }),
}, { additionalProperties: false });
const ReleaseQuery = Type.Object({ reason: Type.String({ minLength: 5, maxLength: 500 }) }, { additionalProperties: false });

const DAY_MS = 86_400_000;

/** What a policy does to a site's disk: days kept per camera, and days left before the free-space floor. */
function effect(s: StorageView) {
  const perCamera = s.cameras.map((c) => {
    const spanDays = c.oldest && c.newest ? (Date.parse(c.newest) - Date.parse(c.oldest)) / DAY_MS : 0;
    return { ...c, daysRetained: Number(spanDays.toFixed(2)), bytesPerDay: spanDays > 0.01 ? Math.round(c.bytes / spanDays) : null };
  });
  const growth = perCamera.reduce((n, c) => n + (c.bytesPerDay ?? 0), 0);
  const headroom = s.disk.freeBytes - s.disk.floorBytes;
  return { disk: s.disk, cameras: perCamera, daysUntilFloor: growth > 0 ? Number(Math.max(0, headroom / growth).toFixed(1)) : null };
}

export function retentionRoutes(app: FastifyInstance, deps: { store: HubStore; fleet: Fleet; agents: AgentGateway; audit: AuditLog; sync: RetentionSync }): void {

  app.get('/api/cameras/:cameraId/holds', { config: { access: ['admin', 'security'] }, schema: { params: CameraParam } }, async (req, reply) => {
    const { cameraId } = req.params as { cameraId: string };
    const cam = await deps.fleet.cameras.find(cameraId);
    if (!cam) return reply.code(404).send({ error: `no camera "${cameraId}"` });
    return deps.agents.request(cam.agentId, 'holds.list', { cameraId }).catch((err: unknown) => replyAgentError(reply, err));
  });

  app.post('/api/cameras/:cameraId/holds', { config: { access: ['admin', 'security'] }, schema: { params: CameraParam, body: NewHold } }, async (req, reply) => {
    const { cameraId } = req.params as { cameraId: string };
    const { from, to, reason } = req.body as { from: string; to: string; reason: string };
    if (Date.parse(from) >= Date.parse(to)) return reply.code(400).send({ error: '"from" must be before "to"' });
    const cam = await deps.fleet.cameras.find(cameraId);
    if (!cam) return reply.code(404).send({ error: `no camera "${cameraId}"` });
    try {
      const hold = await deps.agents.request(cam.agentId, 'holds.place', { cameraId, from, to, reason, by: req.user!.username });
      await deps.audit.append({ actor: req.user!.username, action: 'legal-hold.place', target: cameraId, reason, details: { holdId: hold.id, from, to } });
      return reply.code(201).send(hold);
    } catch (err) {
      return replyAgentError(reply, err);
    }
  });

  app.delete('/api/cameras/:cameraId/holds/:holdId', { config: { access: ['admin', 'security'] }, schema: { params: HoldParams, querystring: ReleaseQuery } }, async (req, reply) => {
    const { cameraId, holdId } = req.params as { cameraId: string; holdId: string };
    const { reason } = req.query as { reason: string };
    const cam = await deps.fleet.cameras.find(cameraId);
    if (!cam) return reply.code(404).send({ error: `no camera "${cameraId}"` });
    try {
      const hold = await deps.agents.request(cam.agentId, 'holds.release', { id: holdId });
      await deps.audit.append({ actor: req.user!.username, action: 'legal-hold.release', target: cameraId, reason, details: { holdId, from: hold.from, to: hold.to } });
      return hold;
    } catch (err) {
      return replyAgentError(reply, err);
    }
  });

  app.get('/api/sites/:siteId/retention', { config: { access: ['admin', 'operator', 'security'] }, schema: { params: SiteParam } }, async (req, reply) => {
    const { siteId } = req.params as { siteId: string };
    if (!(await deps.store.getSite(siteId))) return reply.code(404).send({ error: `no site "${siteId}"` });
    const set = (await deps.store.getRetention(siteId)) ?? null;
    const agent = await deps.fleet.siteAgent(siteId);
    const storage = agent ? await deps.agents.request(agent.id, 'storage.report', {}).catch(() => null) : null;
    return { set, storage: storage ? effect(storage) : null };
  });

  app.put('/api/sites/:siteId/retention', { config: { access: ['admin'] }, schema: { params: SiteParam, body: RetentionPolicyView } }, async (req, reply) => {
    const { siteId } = req.params as { siteId: string };
    const policy = req.body as Policy;
    if (!(await deps.store.getSite(siteId))) return reply.code(404).send({ error: `no site "${siteId}"` });
    // GDPR storage limitation (EDPB Guidelines 3/2019 ¶121): beyond 72 hours, say why.
    const long = [['', policy] as const, ...Object.entries(policy.cameras ?? {}).map(([id, p]) => [`cameras.${id}.`, p] as const)]
      .find(([, p]) => (p.maxAgeHours ?? 0) > 72 && !p.purpose);
    if (long) return reply.code(400).send({ error: `${long[0]}maxAgeHours above 72 needs a recorded purpose` });
    await deps.store.putRetention(siteId, { policy, setBy: req.user!.username, setAt: new Date().toISOString() });
    await deps.audit.append({ actor: req.user!.username, action: 'retention.change', target: siteId, ...(policy.purpose ? { reason: policy.purpose } : {}), details: { policy } });
    const agent = await deps.fleet.siteAgent(siteId);
    const applied = agent ? await deps.sync.push(siteId, agent.id) : false;
    return reply.code(applied ? 200 : 202).send({ ...(await deps.store.getRetention(siteId)), pending: !applied });
  });
}
