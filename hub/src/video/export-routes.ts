import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ExportRecords, type ExportRecord } from './export-records';
import { ExportRefused, ExportService } from './export-service';
import type { VideoDeps } from './video-deps';

const EXPORTERS = ['admin', 'security'] as const;
const Iso = Type.String({ format: 'date-time', maxLength: 40 });
const Reason = Type.String({ minLength: 5, maxLength: 500, description: 'why the footage is needed (kept with the export and in the audit log)' });
const NewExport = Type.Object({ cameraId: Type.String({ minLength: 1, maxLength: 64 }), from: Iso, to: Iso, reason: Reason }, { additionalProperties: false });
const IdParam = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) });
const ListQuery = Type.Object({ cameraId: Type.String({ minLength: 1, maxLength: 64 }), from: Iso, to: Iso }, { additionalProperties: false });
const CameraParam = Type.Object({ cameraId: Type.String({ maxLength: 64 }) });
const CameraExportQuery = Type.Object({ from: Iso, to: Iso, reason: Reason }, { additionalProperties: false });

/** "Depot_yard_2026-03-01T100002Z.mp4" */
function fileName(r: ExportRecord): string {
  return `${r.cameraName.replace(/[^\w.-]+/g, '_')}_${r.startsAt.replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z')}.mp4`;
}

/**
 * Footage export (issue #15): POST prepares one MP4 of a camera's range at the site and answers
 * with its exact size, start and gaps; the same user downloads it once (streamed from the agent,
 * paced by the downloader); its status shows progress and, at the end, the SHA-256 that is also
 * in the audit log. `GET /api/cameras/:cameraId/export` does both in one request for scripts:
 * the hash is not a header there (it is known only after the last byte), but `x-export-id`
 * names the export whose status holds it once the body has ended.
 */
export function exportRoutes(app: FastifyInstance, deps: VideoDeps): void {
  const records = ExportRecords.of(deps.store);
  const exports = new ExportService({ records, cameras: deps.fleet.cameras, media: deps.media, audit: deps.audit, log: deps.log });
  app.addHook('onReady', async () => {
    const n = await records.failUnfinished('the hub restarted before the download finished', new Date().toISOString());
    if (n) deps.log.warn({ exports: n }, 'exports left unfinished by the last run marked failed');
  });
  app.addHook('preClose', () => exports.stop());

  const refused = (reply: FastifyReply, err: unknown) => {
    if (err instanceof ExportRefused) return reply.code(err.status).send({ error: err.message });
    throw err;
  };

  const send = async (req: FastifyRequest, reply: FastifyReply, id: string) => {
    const { record, body } = await exports.download(id, req.user!.username);
    req.log.info({ exportId: id, by: record.username, bytes: record.bytes }, 'export download started');
    return reply
      .type('video/mp4')
      .header('content-length', record.bytes)
      .header('content-disposition', `attachment; filename="${fileName(record)}"`)
      .header('cache-control', 'no-store')
      .header('x-export-id', record.id)
      .header('x-export-starts-at', record.startsAt)
      .send(body);
  };

  app.post('/api/video/exports', { config: { access: EXPORTERS }, schema: { body: NewExport } }, async (req, reply) => {
    const body = req.body as { cameraId: string; from: string; to: string; reason: string };
    try {
      const r = await exports.create({ username: req.user!.username, role: req.user!.role }, body);
      return reply.code(201).send({ id: r.id, bytes: r.bytes, startsAt: r.startsAt, durationS: r.durationS, segments: r.segments, gaps: r.gaps });
    } catch (err) {
      return refused(reply, err);
    }
  });

  app.get('/api/video/exports', { config: { access: EXPORTERS }, schema: { querystring: ListQuery } }, async (req) => {
    const q = req.query as { cameraId: string; from: string; to: string };
    const list = await records.list(q.cameraId, new Date(q.from).toISOString(), new Date(q.to).toISOString());
    return {
      exports: list.map((r) => ({
        id: r.id, cameraId: r.cameraId, username: r.username, reason: r.reason, from: r.from, to: r.to, createdAt: r.createdAt,
        startsAt: r.startsAt, durationS: r.durationS, bytes: r.bytes, state: r.state, ...(r.sha256 ? { sha256: r.sha256 } : {}),
      })),
    };
  });

  app.get('/api/video/exports/:id', { config: { access: EXPORTERS }, schema: { params: IdParam } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const s = await exports.status(id);
    if (!s || (s.record.username !== req.user!.username && req.user!.role !== 'admin')) return reply.code(404).send({ error: 'There is no such export.' });
    return s.status;
  });

  app.get('/api/video/exports/:id/download', { config: { access: EXPORTERS }, schema: { params: IdParam } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    try {
      return await send(req, reply, id);
    } catch (err) {
      return refused(reply, err);
    }
  });

  app.get('/api/cameras/:cameraId/export', { config: { access: EXPORTERS }, schema: { params: CameraParam, querystring: CameraExportQuery } }, async (req, reply) => {
    const { cameraId } = req.params as { cameraId: string };
    const q = req.query as { from: string; to: string; reason: string };
    try {
      const r = await exports.create({ username: req.user!.username, role: req.user!.role }, { cameraId, ...q });
      return await send(req, reply, r.id);
    } catch (err) {
      return refused(reply, err);
    }
  });
}
