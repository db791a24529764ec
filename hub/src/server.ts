import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import { MAX_MESSAGE_BYTES } from '@sargs/shared';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { AgentGateway } from './agents/agent-gateway';
import { AlertEngine } from './alerts/alert-engine';
import type { AlertSettingsInput } from './alerts/settings';
import { AuditLog } from './audit/audit-log';
import { installAccessControl, type RouteEntry } from './auth/access';
import { Sessions } from './auth/sessions';
import { SignInLimiter } from './auth/sign-in-limiter';
import { ConsoleGateway } from './console-ws/console-gateway';
import { Fleet } from './fleet/fleet';
import { DroneHub } from './flights/drone-hub';
import { flightRoutes } from './http/flight-routes';
import { surveyRoutes } from './http/survey-routes';
import { vehicleRoutes } from './http/vehicle-routes';
import { alertRoutes } from './http/alert-routes';
import { auditRoutes } from './http/audit-routes';
import { cameraRoutes } from './http/camera-routes';
import { followCameraRemovals } from './cameras/camera-events';
import { lightingRoutes } from './http/lighting-routes';
import { LightingHub } from './lighting/lighting-hub';
import { retentionRoutes } from './http/retention-routes';
import { RetentionSync } from './retention/retention-sync';
import { consoleFiles } from './http/console-files';
import { validatorCompiler } from './http/validators';
import { fleetRoutes } from './http/fleet-routes';
import { sessionRoutes } from './http/session-routes';
import { userRoutes } from './http/user-routes';
import type { HubStore } from './store/hub-store';
import { MediaGateway } from './video/media-gateway';
import { exportRoutes } from './video/export-routes';
import { liveRoutes } from './video/live-routes';
import { playbackRoutes } from './video/playback-routes';
import { ViewingSessions } from './video/viewing-sessions';

export interface ServerOptions {
  store: HubStore;
  logger: FastifyBaseLogger;
  consoleDir?: string;
  secureCookies?: boolean;
  limiter?: SignInLimiter;
  /** Seals entries with HMAC-SHA256 when set (SARGS_AUDIT_KEY). */
  auditKey?: string;
  /** Alert rules and outside channels; defaults apply to what is left out. */
  alerts?: AlertSettingsInput;
  /** Tile URL template for the console's maps (SARGS_MAP_TILES; "off" for none); OpenStreetMap by default. */
  mapTiles?: string;
}

export interface HubServer {
  app: FastifyInstance;
  routes: RouteEntry[];
  fleet: Fleet;
  agents: AgentGateway;
  consoles: ConsoleGateway;
  audit: AuditLog;
  alerts: AlertEngine;
  drones: DroneHub;
  media: MediaGateway;
}

/** Assembles the hub's HTTP and WebSocket server; listening is the caller's business. */
export async function buildServer(opts: ServerOptions): Promise<HubServer> {
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: 64 * 1024,
  });
  app.setValidatorCompiler(validatorCompiler);
  const log = app.log;
  const fleet = new Fleet(opts.store);
  const sessions = new Sessions(opts.store);
  const alerts = new AlertEngine({ fleet, store: opts.store, log }, opts.alerts);
  const consoles = new ConsoleGateway({ fleet, log, alerts });
  const agents = new AgentGateway({ store: opts.store, fleet, log });
  const media = new MediaGateway({ store: opts.store, log });
  const audit = new AuditLog(opts.store.database, { key: opts.auditKey ?? process.env.SARGS_AUDIT_KEY });

  await app.register(cookie);
  // Collects every route's schema; served as /api/openapi.json for integrators and the docs.
  await app.register(swagger, {
    openapi: {
      info: { title: 'Sargs hub API', version: '1', description: 'Fleet, cameras, recordings and users of a Sargs hub. Sign in with POST /api/session; the session cookie authenticates every other call.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'sargs_session' } } },
      security: [{ session: [] }],
    },
  });
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
  app.get('/api/openapi.json', { config: { access: 'signed-in' }, schema: { hide: true } as object }, () => app.swagger());
  sessionRoutes(app, { store: opts.store, sessions, limiter: opts.limiter ?? new SignInLimiter(), consoles, secureCookies: opts.secureCookies ?? false, audit });
  userRoutes(app, { store: opts.store, consoles, audit });
  fleetRoutes(app, { store: opts.store, fleet, agents, media });
  cameraRoutes(app, { store: opts.store, fleet, agents, audit });
  followCameraRemovals(agents, fleet.cameras);
  retentionRoutes(app, { store: opts.store, fleet, agents, audit, sync: new RetentionSync({ store: opts.store, fleet, agents, log }) });
  auditRoutes(app, { audit });
  const drones = new DroneHub({ store: opts.store, fleet, agents, consoles, alerts, log });
  vehicleRoutes(app, { vehicles: drones.vehicles, store: opts.store, fleet, agents });
  flightRoutes(app, { logbook: drones.logbook, store: opts.store, audit });
  surveyRoutes(app, { store: opts.store, fleet, agents, audit, vehicles: drones.vehicles });
  alertRoutes(app, { alerts });
  const lighting = new LightingHub({ store: opts.store, fleet, agents, consoles, audit, alerts, log });
  lighting.listen();
  lightingRoutes(app, { store: opts.store, fleet, agents, audit, lighting });
  agents.register(app);
  media.register(app);
  const viewing = new ViewingSessions({ audit, log });
  const videoDeps = { store: opts.store, fleet, agents, media, audit, viewing, log };
  liveRoutes(app, videoDeps);
  playbackRoutes(app, videoDeps);
  exportRoutes(app, videoDeps);
  consoles.register(app);
  consoleFiles(app, opts.consoleDir, opts.mapTiles ?? process.env.SARGS_MAP_TILES);
  app.addHook('preClose', async () => { agents.closeAll(); media.closeAll(); consoles.closeAll(); });
  // Entries still being written must land before the caller closes the database.
  app.addHook('onClose', async () => { await viewing.endAll(); });
  app.addHook('onClose', async () => { await audit.flush(); });
  app.addHook('onClose', async () => { await drones.stop(); });
  app.addHook('onClose', async () => { await alerts.stop(); });
  await app.ready();
  await alerts.start();
  await drones.start();
  return { app, routes, fleet, agents, consoles, audit, alerts, drones, media };
}
