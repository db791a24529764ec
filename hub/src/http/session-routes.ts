import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MIN_PASSWORD_LENGTH, hashPassword, verifyPassword } from '../auth/passwords';
import { SESSION_COOKIE, type Sessions } from '../auth/sessions';
import type { SignInLimiter } from '../auth/sign-in-limiter';
import { publicUser } from '../auth/users';
import type { ConsoleGateway } from '../console-ws/console-gateway';
import type { AuditLog } from '../audit/audit-log';
import type { HubStore } from '../store/hub-store';

const Credentials = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
}, { additionalProperties: false });

const PasswordChange = Type.Object({
  current: Type.String({ minLength: 1, maxLength: 256 }),
  next: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 256 }),
}, { additionalProperties: false });

// A hash to compare against when the user does not exist, so timing does not reveal which
// names exist. Made on first need, not at start-up beside the first admin's.
let dummyHash: Promise<string> | undefined;
const DUMMY_HASH = () => (dummyHash ??= hashPassword('no such user, constant-time filler'));

export function sessionRoutes(app: FastifyInstance, deps: {
  store: HubStore; sessions: Sessions; limiter: SignInLimiter; consoles: ConsoleGateway; secureCookies: boolean; audit: AuditLog;
}): void {
  app.post('/api/session', { config: { access: 'public' }, schema: { body: Credentials } }, async (req, reply) => {
    const { username, password } = req.body as { username: string; password: string };
    const wait = deps.limiter.retryAfterMs(username, req.ip);
    if (wait > 0) {
      reply.header('retry-after', Math.ceil(wait / 1000));
      return reply.code(429).send({ error: `too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s` });
    }
    const user = await deps.store.getUser(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_HASH()));
    if (!user || !ok) {
      deps.limiter.recordFailure(username, req.ip);
      req.log.warn({ username, ip: req.ip }, 'failed sign-in');
      await deps.audit.append({ actor: username.slice(0, 64), action: 'sign-in.failed', details: { ip: req.ip } });
      return reply.code(401).send({ error: 'wrong username or password' });
    }
    deps.limiter.recordSuccess(username);
    const { token, expiresAt } = await deps.sessions.create(user.username);
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: deps.secureCookies, path: '/', expires: expiresAt });
    req.log.info({ username }, 'signed in');
    await deps.audit.append({ actor: user.username, action: 'sign-in', details: { ip: req.ip } });
    return publicUser(user);
  });

  app.get('/api/session', { config: { access: 'signed-in', duringPasswordChange: true } }, async (req) => publicUser(req.user!));

  app.delete('/api/session', { config: { access: 'signed-in', duringPasswordChange: true } }, async (req, reply) => {
    await deps.sessions.destroy(req.sessionToken!);
    deps.consoles.closeSession(req.sessionToken!);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.post('/api/session/password', { config: { access: 'signed-in', duringPasswordChange: true }, schema: { body: PasswordChange } }, async (req, reply) => {
    const { current, next } = req.body as { current: string; next: string };
    const user = req.user!;
    if (!(await verifyPassword(current, user.passwordHash))) return reply.code(400).send({ error: 'current password is wrong' });
    if (current === next) return reply.code(400).send({ error: 'the new password must differ from the current one' });
    await deps.store.putUser({ ...user, passwordHash: await hashPassword(next), mustChangePassword: false });
    await deps.audit.append({ actor: user.username, action: 'password.change', target: user.username });
    return publicUser({ ...user, mustChangePassword: false });
  });
}
