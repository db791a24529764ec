import { ROLES, Role } from '@sargs/shared';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { USERNAME_PATTERN, UserExistsError, createUser, publicUser } from '../auth/users';
import type { ConsoleGateway } from '../console-ws/console-gateway';
import type { AuditLog } from '../audit/audit-log';
import type { HubStore } from '../store/hub-store';

const NewUser = Type.Object({
  username: Type.String({ pattern: USERNAME_PATTERN }),
  role: Role,
}, { additionalProperties: false });
const UsernameParam = Type.Object({ username: Type.String({ maxLength: 64 }) });

export function userRoutes(app: FastifyInstance, deps: { store: HubStore; consoles: ConsoleGateway; audit: AuditLog }): void {
  app.get('/api/users', { config: { access: ['admin'] } }, async () => (await deps.store.listUsers()).map(publicUser));

  app.post('/api/users', { config: { access: ['admin'] }, schema: { body: NewUser } }, async (req, reply) => {
    const { username, role } = req.body as { username: string; role: Role };
    try {
      const { user, password } = await createUser(deps.store, username, role);
      req.log.info({ by: req.user?.username, username, role }, 'user created');
      await deps.audit.append({ actor: req.user!.username, action: 'user.create', target: username, details: { role } });
      return reply.code(201).send({ user: publicUser(user), oneTimePassword: password });
    } catch (err) {
      if (err instanceof UserExistsError) return reply.code(409).send({ error: err.message });
      throw err;
    }
  });

  app.delete('/api/users/:username', { config: { access: ['admin'] }, schema: { params: UsernameParam } }, async (req, reply) => {
    const { username } = req.params as { username: string };
    if (username === req.user?.username) return reply.code(400).send({ error: 'you cannot remove your own account' });
    if (!(await deps.store.getUser(username))) return reply.code(404).send({ error: `no user "${username}"` });
    await deps.store.deleteUser(username);
    await deps.store.deleteSessionsOf(username);
    deps.consoles.closeUser(username);
    req.log.info({ by: req.user?.username, username }, 'user removed');
    await deps.audit.append({ actor: req.user!.username, action: 'user.delete', target: username });
    return reply.code(204).send();
  });
}

export { ROLES };
