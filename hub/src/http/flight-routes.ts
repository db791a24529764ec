import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AuditLog } from '../audit/audit-log';
import { decimateTrack } from '../flights/decimate';
import type { FlightRecord } from '../flights/flight-store';
import { LogbookError, type Logbook } from '../flights/logbook';
import { trackFile, type TrackFormat } from '../flights/track-files';
import type { HubStore } from '../store/hub-store';
import { DRONE_ROLES } from './vehicle-routes';

/** A pilot's tlog by hand: tens of MB for a long flight at full rate. This route only. */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
/** Uploads held in memory at once; more wait their turn rather than exhaust the hub's memory. */
const MAX_CONCURRENT_UPLOADS = 2;
/** Points sent for the map and the altitude chart; downloads get every point. */
const DETAIL_TRACK_POINTS = 3000;

const EDITORS = ['admin', 'pilot'] as const;

const FlightParam = Type.Object({ id: Type.String({ maxLength: 64 }) });
const DateLike = Type.String({ maxLength: 40, description: 'ISO-8601 date (YYYY-MM-DD) or date-time' });
const ListQuery = Type.Object({
  site: Type.Optional(Type.String({ maxLength: 64, description: 'site id' })),
  pilot: Type.Optional(Type.String({ maxLength: 128, description: 'part of the pilot\'s name, any case' })),
  vehicle: Type.Optional(Type.String({ maxLength: 64, description: 'a system id, or part of the vehicle type, autopilot or vehicle key' })),
  from: Type.Optional(DateLike),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO-8601 date-time, or a date meaning the end of that day' })),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
}, { additionalProperties: false });
const FlightPatch = Type.Object({
  pilot: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()], { description: 'who flew it; null or "" clears it' })),
  notes: Type.Optional(Type.String({ maxLength: 4000 })),
}, { additionalProperties: false, minProperties: 1 });
const UploadQuery = Type.Object({ site: Type.Optional(Type.String({ maxLength: 64, description: 'site the flight was flown from' })) }, { additionalProperties: false });

const FORMATS: [TrackFormat, string][] = [['geojson', 'application/geo+json'], ['kml', 'application/vnd.google-earth.kml+xml'], ['gpx', 'application/gpx+xml']];

/** A file name that says what and when: `flight-20180808T140601Z-sys1.tlog`. */
const fileName = (r: FlightRecord, ext: string) => `flight-${r.view.start.replace(/[-:]|\.\d+/g, '')}-sys${r.view.systemId}.${ext}`;

const noFlight = (reply: FastifyReply, id: string) => reply.code(404).send({ error: `no flight "${id}"` });

export function flightRoutes(app: FastifyInstance, deps: { logbook: Logbook; store: HubStore; audit: AuditLog }): void {
  const { logbook } = deps;

  app.get('/api/flights', { config: { access: DRONE_ROLES }, schema: { querystring: ListQuery } }, async (req, reply) => {
    const q = req.query as { site?: string; pilot?: string; vehicle?: string; from?: string; to?: string; limit: number };
    try {
      return await logbook.list(q);
    } catch (err) {
      if (err instanceof LogbookError) return reply.code(err.status).send({ error: err.message });
      throw err;
    }
  });

  /** One flight with its track thinned for the map and the altitude chart, and what reading its log noticed. */
  app.get('/api/flights/:id', { config: { access: DRONE_ROLES }, schema: { params: FlightParam } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const rec = await logbook.get(id);
    if (!rec) return noFlight(reply, id);
    const [track, tlog] = await Promise.all([logbook.track(id), logbook.tlog(rec)]);
    return {
      flight: rec.view, ...rec.detail, warnings: rec.warnings, editedAt: rec.editedAt, editedBy: rec.editedBy,
      track: { points: decimateTrack(track, DETAIL_TRACK_POINTS), total: track.length },
      tlog: tlog ? { id: tlog.id, source: tlog.source, bytes: tlog.bytes, sha256: tlog.sha256, flightIds: tlog.flightIds, warnings: tlog.warnings, uploadedBy: tlog.uploadedBy } : null,
    };
  });

  app.patch('/api/flights/:id', { config: { access: EDITORS }, schema: { params: FlightParam, body: FlightPatch } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const patch = req.body as { pilot?: string | null; notes?: string };
    const by = req.user!.username;
    const r = await logbook.edit(id, patch, by);
    if (!r) return noFlight(reply, id);
    const changed: Record<string, { from: unknown; to: unknown }> = {};
    if (r.before.pilot !== r.after.pilot) changed.pilot = { from: r.before.pilot, to: r.after.pilot };
    if (r.before.notes !== r.after.notes) changed.notes = { from: r.before.notes, to: r.after.notes };
    if (Object.keys(changed).length) await deps.audit.append({ actor: by, action: 'flight.edit', target: id, details: changed });
    return r.after;
  });

  for (const [format, type] of FORMATS) {
    app.get(`/api/flights/:id/track.${format}`, { config: { access: DRONE_ROLES }, schema: { params: FlightParam } }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const rec = await logbook.get(id);
      if (!rec) return noFlight(reply, id);
      const body = trackFile(format, rec, await logbook.track(id));
      return reply.type(type).header('content-disposition', `attachment; filename="${fileName(rec, format)}"`).send(body);
    });
  }

  /** The tlog exactly as received (for an agent's flight, the whole log the agent sent), with its SHA-256. */
  app.get('/api/flights/:id/tlog', { config: { access: DRONE_ROLES }, schema: { params: FlightParam } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const rec = await logbook.get(id);
    const tlog = rec && (await logbook.tlog(rec));
    if (!rec || !tlog) return noFlight(reply, id);
    return reply
      .type('application/octet-stream')
      .header('content-length', tlog.bytes)
      .header('content-disposition', `attachment; filename="${fileName(rec, 'tlog')}"`)
      .header('x-content-sha256', tlog.sha256 ?? '')
      .send(Readable.from(logbook.tlogBytes(tlog.id)));
  });

  // The upload takes a raw body far larger than the hub's 64 KB default; its parser and
  // limit live in this scope only, so no other route accepts a large or binary body.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    // Refused before its body was read (no session, wrong role, busy, too large): the client
    // may still be sending megabytes nobody will read, which keeps the connection open and
    // holds up the hub's shutdown. Closing it after the answer ends that.
    scope.addHook('onSend', async (req, reply) => {
      if (reply.statusCode >= 400 && req.body === undefined) reply.header('connection', 'close');
    });
    let active = 0;
    scope.post('/api/flights/upload', {
      config: { access: EDITORS },
      bodyLimit: MAX_UPLOAD_BYTES,
      schema: {
        querystring: UploadQuery,
        consumes: ['application/octet-stream'],
        description: `Files the flights in a .tlog sent as the raw request body (Content-Type: application/octet-stream, at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB).`,
      },
      onRequest: async (_req, reply) => {
        if (active >= MAX_CONCURRENT_UPLOADS) return reply.code(503).header('retry-after', '5').send({ error: 'other uploads are being filed; try again in a few seconds' });
        active++;
        reply.raw.once('close', () => { active--; });
      },
    }, async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) {
        return reply.code(415).send({ error: 'send the .tlog file itself as the request body with Content-Type: application/octet-stream' });
      }
      const { site } = req.query as { site?: string };
      if (site !== undefined && !(await deps.store.getSite(site))) return reply.code(400).send({ error: `no site "${site}"` });
      const user = req.user!;
      try {
        const r = await logbook.upload(req.body, { siteId: site ?? null, by: user.username, pilot: user.role === 'pilot' ? user.username : null });
        await deps.audit.append({
          actor: user.username, action: 'flight.upload', target: r.tlog.id,
          details: { sha256: r.tlog.sha256, bytes: r.tlog.bytes, siteId: r.tlog.siteId, flights: r.tlog.flightIds },
        });
        req.log.info({ by: user.username, tlogId: r.tlog.id, bytes: r.tlog.bytes, flights: r.flights.length }, 'tlog uploaded');
        return reply.code(201).send({ tlogId: r.tlog.id, sha256: r.tlog.sha256, bytes: r.tlog.bytes, flights: r.flights, warnings: r.warnings });
      } catch (err) {
        if (err instanceof LogbookError) return reply.code(err.status).send({ error: err.message, ...(err.flightIds.length ? { flightIds: err.flightIds } : {}) });
        throw err;
      }
    });
  });
}
