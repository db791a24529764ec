import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Fleet } from '../fleet/fleet';
import type { HubStore } from '../store/hub-store';

const CameraParam = Type.Object({ cameraId: Type.String({ maxLength: 64 }) });
const HistoryQuery = Type.Object({ days: Type.Integer({ minimum: 1, maximum: 31, default: 7 }) }, { additionalProperties: false });
const CameraQuery = Type.Object({ siteId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });

export function cameraRoutes(app: FastifyInstance, deps: { store: HubStore; fleet: Fleet }): void {
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
