import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AgentGateway } from '../agents/agent-gateway';
import type { Fleet } from '../fleet/fleet';
import type { AuditLog } from '../audit/audit-log';
import type { HubStore } from '../store/hub-store';
import { replyAgentError } from './agent-errors';

const CameraParam = Type.Object({ cameraId: Type.String({ maxLength: 64 }) });
const HistoryQuery = Type.Object({ days: Type.Integer({ minimum: 1, maximum: 31, default: 7 }) }, { additionalProperties: false });
const CameraQuery = Type.Object({ siteId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });
const SiteParam = Type.Object({ siteId: Type.String({ maxLength: 64 }) });
const NewCamera = Type.Object({
  url: Type.String({ pattern: '^https?://', maxLength: 512, description: 'ONVIF device service address' }),
  username: Type.String({ minLength: 1, maxLength: 128 }),
  password: Type.String({ maxLength: 256 }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  profileToken: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'the H.264 profile to record (default: the highest resolution)' })),
}, { additionalProperties: false });
const RangeQuery = Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) }, { additionalProperties: false });

export function cameraRoutes(app: FastifyInstance, deps: { store: HubStore; fleet: Fleet; agents: AgentGateway; audit: AuditLog }): void {

  app.get('/api/sites/:siteId/discovery', { config: { access: ['admin', 'operator'] }, schema: { params: SiteParam } }, async (req, reply) => {
    const { siteId } = req.params as { siteId: string };
    if (!(await deps.store.getSite(siteId))) return reply.code(404).send({ error: `no site "${siteId}"` });
    const agent = await deps.fleet.siteAgent(siteId);
    if (!agent) return reply.code(503).send({ error: 'no agent of this site is connected' });
    return deps.agents.request(agent.id, 'camera.discover', {}, 20_000).catch((err: unknown) => replyAgentError(reply, err));
  });

  app.post('/api/sites/:siteId/cameras', { config: { access: ['admin', 'operator'] }, schema: { params: SiteParam, body: NewCamera } }, async (req, reply) => {
    const { siteId } = req.params as { siteId: string };
    if (!(await deps.store.getSite(siteId))) return reply.code(404).send({ error: `no site "${siteId}"` });
    const agent = await deps.fleet.siteAgent(siteId);
    if (!agent) return reply.code(503).send({ error: 'no agent of this site is connected' });
    const body = req.body as { url: string; username: string; password: string; name?: string; profileToken?: string };
    try {
      const info = await deps.agents.request(agent.id, 'camera.add', body, 30_000);
      req.log.info({ by: req.user?.username, siteId, cameraId: info.id }, 'camera added');
      return reply.code(201).send(info);
    } catch (err) {
      return replyAgentError(reply, err);
    }
  });

  app.delete('/api/cameras/:cameraId', { config: { access: ['admin', 'operator'] }, schema: { params: CameraParam } }, async (req, reply) => {
    const { cameraId } = req.params as { cameraId: string };
    const cam = await deps.fleet.cameras.find(cameraId);
    if (!cam) return reply.code(404).send({ error: `no camera "${cameraId}"` });
    try {
      await deps.agents.request(cam.agentId, 'camera.remove', { cameraId });
      await deps.fleet.cameras.remove(cam.agentId, cameraId);
      req.log.info({ by: req.user?.username, cameraId }, 'camera removed');
      return reply.code(204).send();
    } catch (err) {
      return replyAgentError(reply, err);
    }
  });

  app.get('/api/cameras/:cameraId/snapshot', { config: { access: ['admin', 'operator', 'security'] }, schema: { params: CameraParam } }, async (req, reply) => {
    const { cameraId } = req.params as { cameraId: string };
    const cam = await deps.fleet.cameras.find(cameraId);
    if (!cam) return reply.code(404).send({ error: `no camera "${cameraId}"` });
    try {
      const r = await deps.agents.request(cam.agentId, 'camera.snapshot', { cameraId }, 15_000);
      req.log.info({ by: req.user?.username, cameraId }, 'snapshot viewed');
      await deps.audit.append({ actor: req.user!.username, action: 'snapshot.view', target: cameraId });
      return reply.type('image/jpeg').header('cache-control', 'no-store').header('x-taken-at', r.takenAt).send(Buffer.from(r.jpegBase64, 'base64'));
    } catch (err) {
      return replyAgentError(reply, err);
    }
  });

  app.get('/api/cameras/:cameraId/recordings', { config: { access: ['admin', 'operator', 'security'] }, schema: { params: CameraParam, querystring: RangeQuery } }, async (req, reply) => {
    const { cameraId } = req.params as { cameraId: string };
    const { from, to } = req.query as { from: string; to: string };
    if (Date.parse(from) >= Date.parse(to)) return reply.code(400).send({ error: '"from" must be before "to"' });
    const cam = await deps.fleet.cameras.find(cameraId);
    if (!cam) return reply.code(404).send({ error: `no camera "${cameraId}"` });
    return deps.agents.request(cam.agentId, 'recordings.ranges', { cameraId, from, to }).catch((err: unknown) => replyAgentError(reply, err));
  });

  app.get('/api/cameras', { config: { access: ['admin', 'operator', 'security'] }, schema: { querystring: CameraQuery } }, async (req) => {
    const { siteId } = req.query as { siteId?: string };
    const all = await deps.fleet.cameras.list();
    return siteId ? all.filter((c) => c.siteId === siteId) : all;
  });

  /** State changes over the last days, with the state the window opened in, for uptime and outages. */
  app.get('/api/cameras/:cameraId/history', { config: { access: ['admin', 'operator'] }, schema: { params: CameraParam, querystring: HistoryQuery } }, async (req, reply) => {
    const { cameraId } = req.params as { cameraId: string };
    const { days } = req.query as { days: number };
    if (!(await deps.fleet.cameras.list()).some((c) => c.info.id === cameraId)) return reply.code(404).send({ error: `no camera "${cameraId}"` });
    const from = new Date(Date.now() - days * 86_400_000).toISOString();
    const [before, changes] = await Promise.all([deps.store.cameraStateBefore(cameraId, from), deps.store.cameraHistory(cameraId, from)]);
    return { from, initial: before ?? null, changes };
  });
}
