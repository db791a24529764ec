import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import { MAX_MESSAGE_BYTES } from '@sargs/shared';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { AgentGateway } from './agents/agent-gateway';
import { installAccessControl, type RouteEntry } from './auth/access';
import { Sessions } from './auth/sessions';
import { SignInLimiter } from './auth/sign-in-limiter';
import { ConsoleGateway } from './console-ws/console-gateway';
import { Fleet } from './fleet/fleet';
import { cameraRoutes } from './http/camera-routes';
import { consoleFiles } from './http/console-files';
import { fleetRoutes } from './http/fleet-routes';
import { sessionRoutes } from './http/session-routes';
import { userRoutes } from './http/user-routes';
import type { HubStore } from './store/hub-store';

export interface ServerOptions {
  store: HubStore;
  logger: FastifyBaseLogger;
  consoleDir?: string;
  secureCookies?: boolean;
  limiter?: SignInLimiter;
}

export interface HubServer {
  app: FastifyInstance;
  routes: RouteEntry[];
  fleet: Fleet;
  agents: AgentGateway;
  consoles: ConsoleGateway;
}

/** Assembles the hub's HTTP and WebSocket server; listening is the caller's business. */
export async function buildServer(opts: ServerOptions): Promise<HubServer> {
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  const log = app.log;
  const fleet = new Fleet(opts.store);
  const sessions = new Sessions(opts.store);
  const consoles = new ConsoleGateway({ fleet, log });
  const agents = new AgentGateway({ store: opts.store, fleet, log });

  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: MAX_MESSAGE_BYTES } });
  const routes = installAccessControl(app, { store: opts.store, sessions });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply.code(500).send({ error: 'internal error' });
    }
    // Validation and parsing errors are the client's: say precisely what was wrong.
    return reply.code(status).send({ error: err.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));

  app.get('/api/health', { config: { access: 'public' } }, () => ({ ok: true }));
  app.get('/api/routes', { config: { access: ['admin'] } }, () => routes);
  sessionRoutes(app, { store: opts.store, sessions, limiter: opts.limiter ?? new SignInLimiter(), consoles, secureCookies: opts.secureCookies ?? false });
  userRoutes(app, { store: opts.store, consoles });
  fleetRoutes(app, { store: opts.store, fleet, agents });
  cameraRoutes(app, { store: opts.store, fleet, agents });
  agents.register(app);
  consoles.register(app);
  consoleFiles(app, opts.consoleDir);
  app.addHook('preClose', async () => { agents.closeAll(); consoles.closeAll(); });
  await app.ready();
  return { app, routes, fleet, agents, consoles };
}
