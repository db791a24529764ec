import type { Role } from '@sargs/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UserRecord } from '../store/records';
import type { HubStore } from '../store/hub-store';
import { SESSION_COOKIE, type Sessions } from './sessions';

/**
 * Who may call a route, declared on every route as `config.access`:
 * 'public' (console files, sign-in), 'agent' (checked by the agent gateway with an
 * enrolment token), 'signed-in' (any role), or the list of roles allowed.
 * A route without a declaration is refused: access is opt-in, never forgotten.
 */
export type Access = 'public' | 'agent' | 'signed-in' | readonly Role[];

export interface RouteAccess {
  access?: Access;
  /** Reachable while the user still holds a one-time password (sign-out, change password). */
  duringPasswordChange?: boolean;
}

declare module 'fastify' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merging our fields into fastify's route config
  interface FastifyContextConfig extends RouteAccess {}
  interface FastifyRequest {
    user?: UserRecord;
    sessionToken?: string;
  }
}

/** The route table as the hub serves it, for the console, the docs and the permission test. */
export interface RouteEntry { method: string; url: string; access: Access | undefined }

export function installAccessControl(app: FastifyInstance, deps: { store: HubStore; sessions: Sessions }): RouteEntry[] {
  const table: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) if (m !== 'HEAD') table.push({ method: m, url: route.url, access: (route.config as RouteAccess | undefined)?.access });
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.is404) return;
    const cfg = req.routeOptions.config as RouteAccess;
    const access = cfg.access;
    if (access === 'public' || access === 'agent') return;
    if (access === undefined) return reply.code(403).send({ error: 'route has no access rule' });

    const token = req.cookies[SESSION_COOKIE];
    const session = await deps.sessions.resolve(token);
    const user = session && (await deps.store.getUser(session.username));
    if (!user || !token) return reply.code(401).send({ error: 'sign in first' });
    req.user = user;
    req.sessionToken = token;
    if (user.mustChangePassword && !cfg.duringPasswordChange) {
      return reply.code(403).send({ error: 'change your one-time password first (POST /api/session/password)' });
    }
    if (access !== 'signed-in' && !access.includes(user.role)) {
      return reply.code(403).send({ error: `role "${user.role}" may not ${req.method} ${req.routeOptions.url}` });
    }
  });
  return table;
}
