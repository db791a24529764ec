import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AuditKeyRequiredError, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type AuditLog, type ListQuery } from '../audit/audit-log';

/** An ISO date or date-time, or any leading part of one ("2025-03", "2025-03-14T08"). */
const IsoPrefix = Type.String({ minLength: 4, maxLength: 40, pattern: '^\\d{4}(-\\d{2}(-\\d{2}(T[0-9:.]*(Z|[+-]\\d{2}:?\\d{2})?)?)?)?$' });
const AuditQuery = Type.Object({
  from: Type.Optional(IsoPrefix),
  to: Type.Optional(IsoPrefix),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  limit: Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT }),
  before: Type.Optional(Type.Integer({ minimum: 1 })),
}, { additionalProperties: false });

export function auditRoutes(app: FastifyInstance, deps: { audit: AuditLog }): void {
  app.get('/api/audit', { config: { access: ['admin'] }, schema: { querystring: AuditQuery } }, (req) => deps.audit.list(req.query as ListQuery));

  app.get('/api/audit/verify', { config: { access: ['admin'] } }, async (req, reply) => {
    try {
      const result = await deps.audit.verify();
      if (!result.ok) req.log.warn({ by: req.user?.username, firstBroken: result.firstBroken }, 'audit log verification failed');
      return result;
    } catch (err) {
      // The hub cannot check a log sealed with a key it was not given: a setup problem, not tampering.
      if (err instanceof AuditKeyRequiredError) return reply.code(409).send({ error: err.message });
      throw err;
    }
  });
}
