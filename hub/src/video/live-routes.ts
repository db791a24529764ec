import { StreamChoice, type Role } from '@sargs/shared';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { Sessions } from '../auth/sessions';
import { LiveChannels } from './live-channels';
import { layoutRoutes } from './live-layouts';
import { LiveViewer } from './live-viewer';
import type { VideoDeps } from './video-deps';

const LIVE_ROLES = ['admin', 'operator', 'security'] as const;
const LiveQuery = Type.Object({
  cameraId: Type.String({ minLength: 1, maxLength: 64 }),
  stream: Type.Optional(StreamChoice),
}, { additionalProperties: false });
type LiveQuery = Static<typeof LiveQuery>;

/** How often a live session is marked active, and its user's sign-in and role checked again. */
const TOUCH_MS = 15_000;

/**
 * Live view for the console. `GET /api/video/live?cameraId=…&stream=main|sub` is a WebSocket
 * (admin, operator, security; 404 before the upgrade for a camera the hub does not know). The hub
 * sends text messages `{type:'stream', codec, width, height}` before each new init segment and
 * `{type:'state', state:'waiting'|'playing'|'offline', reason?}`, and binary messages of fMP4:
 * the init, then one fragment per frame from a keyframe on. The browser sends nothing. Each socket
 * is one viewing session, audited when it opens and when it closes. Also the users' saved grid
 * layouts, `GET/PUT /api/video/layouts`.
 */
export function liveRoutes(app: FastifyInstance, deps: VideoDeps): void {
  const channels = new LiveChannels(deps);
  const sessions = new Sessions(deps.store);
  const allowed = (role: Role | undefined) => (LIVE_ROLES as readonly string[]).includes(role ?? '');

  /** One browser watching: a viewing session, a viewer on the camera's channel, a periodic check of its sign-in. */
  const watch = (ws: WebSocket, req: FastifyRequest) => {
    const { cameraId, stream = 'main' } = req.query as LiveQuery;
    const user = req.user!;
    const token = req.sessionToken;
    const session = deps.viewing.start({ username: user.username, role: user.role, kind: 'live', cameraIds: [cameraId] });
    const viewer = new LiveViewer(ws);
    const leave = channels.join(cameraId, stream, viewer);
    const touch = setInterval(() => {
      deps.viewing.touch(session);
      // Signed out, or no longer allowed to watch: the picture stops too.
      void (async () => {
        const s = await sessions.resolve(token);
        const u = s && (await deps.store.getUser(s.username));
        if (!u || !allowed(u.role)) ws.close(4401, 'signed out');
      })().catch((err: unknown) => deps.log.warn({ err }, 'checking a live viewer\'s session failed'));
    }, TOUCH_MS);
    ws.on('message', () => undefined);
    ws.once('close', () => {
      clearInterval(touch);
      leave();
      viewer.stop();
      if (viewer.closedAsStuck) deps.log.info({ cameraId, user: user.username }, 'live viewer closed: its socket was stuck');
      void deps.viewing.end(session.id);
    });
  };

  app.route({
    method: 'GET',
    url: '/api/video/live',
    config: { access: LIVE_ROLES },
    // wsHandler beside a plain handler, not `websocket: true` (which hides a route from the API
    // document): an upgrade goes to `watch`, a plain GET is told to upgrade.
    schema: { querystring: LiveQuery, description: 'WebSocket: live fMP4 of one camera (text messages stream and state, binary init then fragments).' } as object,
    preHandler: async (req, reply) => {
      const { cameraId } = req.query as LiveQuery;
      if (!(await deps.fleet.cameras.find(cameraId))) return reply.code(404).send({ error: `no camera "${cameraId}"` });
    },
    handler: (_req, reply) => reply.code(426).header('upgrade', 'websocket').send({ error: 'live view is a WebSocket: open it with an Upgrade request' }),
    wsHandler: watch,
  });

  layoutRoutes(app, deps, LIVE_ROLES);
  app.addHook('onClose', async () => channels.stop());
}
