import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AlertEngine } from '../alerts/alert-engine';

const ListQuery = Type.Object({
  open: Type.Optional(Type.Boolean({ description: 'true: unresolved only; false: resolved only; absent: all' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
}, { additionalProperties: false });
const LogQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }) }, { additionalProperties: false });
const AlertParam = Type.Object({ alertId: Type.String({ maxLength: 64 }) });
const Ack = Type.Object({ comment: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });

export function alertRoutes(app: FastifyInstance, deps: { alerts: AlertEngine }): void {
  const access = { access: ['admin', 'operator'] as const };

  app.get('/api/alerts', { config: access, schema: { querystring: ListQuery } }, async (req) => {
    const q = req.query as { open?: boolean; limit: number };
    return { alerts: await deps.alerts.alerts.list(q), unacknowledged: deps.alerts.unacknowledged };
  });

  app.post('/api/alerts/:alertId/ack', { config: access, schema: { params: AlertParam, body: Ack } }, async (req, reply) => {
    const { alertId } = req.params as { alertId: string };
    const { comment } = req.body as { comment: string };
    const r = await deps.alerts.acknowledge(alertId, req.user?.username ?? '', comment);
    if (r === 'missing') return reply.code(404).send({ error: `no alert "${alertId}"` });
    if (r === 'already') return reply.code(409).send({ error: 'this alert has already been acknowledged' });
    req.log.info({ by: req.user?.username, alert: alertId }, 'alert acknowledged');
    return r;
  });

  app.get('/api/alerts/deliveries', { config: access, schema: { querystring: LogQuery } }, async (req) => {
    const { limit } = req.query as { limit: number };
    return { deliveries: await deps.alerts.deliveries.log(limit) };
  });
}
