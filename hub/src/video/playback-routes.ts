import type { Readable } from 'node:stream';
import type { CameraView } from '@sargs/shared';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { replyAgentError } from '../http/agent-errors';
import { listExports } from './export-records';
import { buildPlaylist, footageSpan } from './playlist';
import { headOf, LayoutBook, replyMediaError } from './playlist-layouts';
import { parseRange, RangeCache, readAll } from './range-cache';
import type { VideoDeps } from './video-deps';
import type { ViewingSession } from './viewing-sessions';

const ROLES = ['admin', 'security'] as const;
const HOUR_MS = 3_600_000;
/** One playlist covers at most a day (Frigate serves an hour at a time; the console asks for one). */
export const MAX_PLAYLIST_MS = 24 * HOUR_MS;
const MAX_TIMELINE_MS = 31 * 24 * HOUR_MS;
/** Ranges up to this size go through the hub's cache; bigger ones (a whole file) stream through. */
const CACHED_RANGE_BYTES = 16 * 1024 * 1024;

const CameraParam = Type.Object({ cameraId: Type.String({ minLength: 1, maxLength: 64 }) });
const Session = Type.String({ pattern: '^[0-9a-f]{32}$', description: 'a recorded viewing session of yours covering this camera (POST /api/video/sessions)' });
const Time = Type.String({ format: 'date-time' });
const NewSession = Type.Object({
  cameraIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 4, uniqueItems: true }),
  reason: Type.String({ minLength: 5, maxLength: 500, description: 'why the footage is viewed (kept in the audit log)' }),
}, { additionalProperties: false });
const TimelineQuery = Type.Object({ from: Time, to: Time, session: Type.Optional(Session) }, { additionalProperties: false });
const PlaylistQuery = Type.Object({ from: Time, to: Time, session: Session }, { additionalProperties: false });
const MediaQuery = Type.Object({ path: Type.String({ minLength: 1, maxLength: 512 }), session: Session }, { additionalProperties: false });
const StillQuery = Type.Object({ at: Time, session: Session, width: Type.Optional(Type.Integer({ minimum: 32, maximum: 1920 })) }, { additionalProperties: false });

/**
 * Recorded playback for the console (admin and security). A viewing session (a reason, up to
 * four cameras of one site) comes first; the playlist, media and still routes serve only inside
 * it, and every request marks it active and widens the footage time it has fetched, which the
 * audit entry of the session records when it ends. The timeline needs no session: it shows what
 * exists, not the footage.
 *
 *   POST /api/video/sessions                      {cameraIds, reason} → {id}
 *   POST /api/video/sessions/:id/end              the owner ends it (the console does, when the page is left)
 *   GET  /api/video/cameras/:id/timeline          ?from&to[&session]: recorded ranges, gaps, legal holds, exports
 *   GET  /api/video/cameras/:id/playlist.m3u8     ?from&to&session: HLS VOD over the segment files (playlist.ts)
 *   GET  /api/video/cameras/:id/media             ?path&session: a segment file, honouring Range (206/416)
 *   GET  /api/video/cameras/:id/still             ?at&session[&width]: JPEG of the keyframe at or before `at`
 */
export function playbackRoutes(app: FastifyInstance, deps: VideoDeps): void {
  const book = new LayoutBook(deps.media);
  const cache = new RangeCache();

  const camera = async (req: FastifyRequest, reply: FastifyReply): Promise<CameraView | undefined> => {
    const { cameraId } = req.params as { cameraId: string };
    const cam = await deps.fleet.cameras.find(cameraId);
    if (!cam) void reply.code(404).send({ error: `no camera "${cameraId}"` });
    return cam;
  };
  /** The caller's open recorded session covering the camera, or a 403 that says what to do. */
  const session = (req: FastifyRequest, reply: FastifyReply, cameraId: string): ViewingSession | undefined => {
    const id = (req.query as { session?: string }).session;
    const s = deps.viewing.check(id, req.user!.username, cameraId);
    if (s?.kind === 'recorded') return s;
    void reply.code(403).send({ error: 'recorded footage is shown only inside a viewing session of yours that covers this camera; it ends after a minute without requests. Start one with POST /api/video/sessions (with a reason) and pass its id as "session"' });
    return undefined;
  };
  const range = (q: { from: string; to: string }, max: number, reply: FastifyReply): { fromMs: number; toMs: number } | undefined => {
    const fromMs = Date.parse(q.from);
    const toMs = Date.parse(q.to);
    if (!(toMs > fromMs)) void reply.code(400).send({ error: '"from" must be before "to"' });
    else if (toMs - fromMs > max) void reply.code(400).send({ error: `one request covers at most ${max / HOUR_MS} hours` });
    else return { fromMs, toMs };
    return undefined;
  };
  const noMediaLink = (reply: FastifyReply) => reply.code(503).send({ error: 'the site agent of this camera is not connected for video' });

  app.post('/api/video/sessions', { config: { access: ROLES }, schema: { body: NewSession } }, async (req, reply) => {
    const { cameraIds, reason } = req.body as { cameraIds: string[]; reason: string };
    const cams: CameraView[] = [];
    for (const id of cameraIds) {
      const cam = await deps.fleet.cameras.find(id);
      if (!cam) return reply.code(404).send({ error: `no camera "${id}"` });
      cams.push(cam);
    }
    if (new Set(cams.map((c) => c.siteId)).size > 1) return reply.code(400).send({ error: 'the cameras of one viewing session must belong to one site' });
    if (!reason.trim()) return reply.code(400).send({ error: 'a viewing session needs a reason' });
    const user = req.user!;
    const s = deps.viewing.start({ username: user.username, role: user.role, kind: 'recorded', cameraIds, reason: reason.trim() });
    return reply.code(201).send({ id: s.id });
  });

  app.post('/api/video/sessions/:id/end', {
    config: { access: ROLES },
    schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }) },
  }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const s = deps.viewing.get(id);
    if (!s) return reply.code(404).send({ error: 'no open viewing session with this id (it may have ended after a minute without requests)' });
    if (s.username !== req.user!.username) return reply.code(403).send({ error: 'only the user who started a viewing session can end it' });
    await deps.viewing.end(id);
    return reply.code(204).send();
  });

  app.get('/api/video/cameras/:cameraId/timeline', { config: { access: ROLES }, schema: { params: CameraParam, querystring: TimelineQuery } }, async (req, reply) => {
    const q = req.query as { from: string; to: string; session?: string };
    const r = range(q, MAX_TIMELINE_MS, reply);
    const cam = r && (await camera(req, reply));
    if (!r || !cam) return reply;
    // A console showing a paused picture keeps its session open by asking for the timeline now and then.
    const s = q.session ? deps.viewing.check(q.session, req.user!.username, cam.info.id) : undefined;
    if (s) deps.viewing.touch(s);
    const from = new Date(r.fromMs).toISOString();
    const to = new Date(r.toMs).toISOString();
    try {
      const [recorded, holds, exports] = await Promise.all([
        deps.agents.request(cam.agentId, 'recordings.ranges', { cameraId: cam.info.id, from, to }),
        deps.agents.request(cam.agentId, 'holds.list', { cameraId: cam.info.id }),
        listExports(deps.store, cam.info.id, from, to),
      ]);
      return {
        cameraId: cam.info.id, from, to, ranges: recorded.ranges, gaps: recorded.gaps,
        holds: holds.holds.filter((h) => h.from < to && h.to > from).map((h) => ({ id: h.id, from: h.from, to: h.to, reason: h.reason, by: h.by })),
        exports: exports.map((e) => ({ id: e.id, from: e.from, to: e.to, state: e.state, by: e.username, reason: e.reason, createdAt: e.createdAt })),
      };
    } catch (err) {
      return replyAgentError(reply, err);
    }
  });

  app.get('/api/video/cameras/:cameraId/playlist.m3u8', { config: { access: ROLES }, schema: { params: CameraParam, querystring: PlaylistQuery } }, async (req, reply) => {
    const q = req.query as { from: string; to: string; session: string };
    const r = range(q, MAX_PLAYLIST_MS, reply);
    const cam = r && (await camera(req, reply));
    const s = cam && session(req, reply, cam.info.id);
    if (!r || !cam || !s) return reply;
    if (!deps.media.isConnected(cam.agentId)) return noMediaLink(reply);
    deps.viewing.touch(s);
    let layouts;
    try {
      layouts = await book.fetch(cam.agentId, cam.info.id, r.fromMs, r.toMs);
    } catch (err) {
      return replyMediaError(reply, err);
    }
    const base = `/api/video/cameras/${encodeURIComponent(cam.info.id)}/media?session=${s.id}&path=`;
    const list = buildPlaylist(layouts, { fromMs: r.fromMs, toMs: r.toMs, mediaUri: (path) => base + encodeURIComponent(path) });
    if (!list.parts) return reply.code(404).send({ error: `nothing of camera ${cam.info.name} is recorded between ${q.from} and ${q.to}` });
    return reply.type('application/vnd.apple.mpegurl').header('cache-control', 'no-store').send(list.text);
  });

  app.get('/api/video/cameras/:cameraId/media', { config: { access: ROLES }, schema: { params: CameraParam, querystring: MediaQuery } }, async (req, reply) => {
    const { path } = req.query as { path: string };
    const cam = await camera(req, reply);
    const s = cam && session(req, reply, cam.info.id);
    if (!cam || !s) return reply;
    const cameraId = cam.info.id;
    if (!path.startsWith(`${cameraId}/`) || path.split('/').includes('..')) return reply.code(404).send({ error: `camera ${cameraId} has no recorded segment "${path}"` });
    // No check of the agent's link here: ranges the hub holds are served without it.
    try {
      let layout = await book.find(cam.agentId, cameraId, path);
      let wanted = layout && parseRange(req.headers.range, layout.bytes);
      // A file still being written has grown since its layout was fetched: ask once more before refusing.
      if (wanted === 'unsatisfiable') {
        layout = await book.find(cam.agentId, cameraId, path, true);
        wanted = layout && parseRange(req.headers.range, layout.bytes);
      }
      if (!layout) return reply.code(404).send({ error: `camera ${cameraId} has no recorded segment "${path}"` });
      if (wanted === 'unsatisfiable') {
        return reply.code(416).header('content-range', `bytes */${layout.bytes}`).send({ error: `the range ${req.headers.range} lies outside "${path}" (${layout.bytes} bytes)` });
      }
      const start = wanted?.start ?? 0;
      const end = wanted?.end ?? layout.bytes - 1;
      const length = end - start + 1;
      const span = footageSpan(layout, start, end);
      deps.viewing.touch(s, span?.fromMs, span?.toMs);
      const args = { cameraId, path, offset: start, length };
      let body: Buffer | Readable;
      if (length <= CACHED_RANGE_BYTES) {
        body = await cache.get(`${cam.agentId}|${path}|${start}|${length}`, async () => {
          const call = deps.media.open(cam.agentId, 'segments.read', args);
          return readAll(call.body, (await headOf(call)).length);
        });
      } else {
        const call = deps.media.open(cam.agentId, 'segments.read', args);
        if ((await headOf(call)).length !== length) {
          call.cancel();
          return reply.code(409).send({ error: `"${path}" changed size while it was read; ask again` });
        }
        body = call.body;
      }
      void reply.type('video/mp4').header('accept-ranges', 'bytes').header('cache-control', 'private, max-age=86400').header('content-length', length);
      if (wanted) void reply.code(206).header('content-range', `bytes ${start}-${end}/${layout.bytes}`);
      return reply.send(body);
    } catch (err) {
      return replyMediaError(reply, err);
    }
  });

  app.get('/api/video/cameras/:cameraId/still', { config: { access: ROLES }, schema: { params: CameraParam, querystring: StillQuery } }, async (req, reply) => {
    const { at, width } = req.query as { at: string; width?: number };
    const cam = await camera(req, reply);
    const s = cam && session(req, reply, cam.info.id);
    if (!cam || !s) return reply;
    if (!deps.media.isConnected(cam.agentId)) return noMediaLink(reply);
    deps.viewing.touch(s);
    const call = deps.media.open(cam.agentId, 'still', { cameraId: cam.info.id, at: new Date(Date.parse(at)).toISOString(), ...(width ? { width } : {}) });
    // The pointer moved on and the browser dropped the request: the agent's decode queue lets it go.
    reply.raw.once('close', () => { if (!reply.raw.writableFinished) call.cancel(); });
    try {
      const head = await headOf(call);
      const jpeg = await readAll(call.body, head.bytes);
      const taken = Date.parse(head.takenAt);
      deps.viewing.touch(s, taken, taken);
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400').header('x-taken-at', head.takenAt).send(jpeg);
    } catch (err) {
      return replyMediaError(reply, err);
    }
  });
}
