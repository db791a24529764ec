import type { Role } from '@sargs/shared';
import type { HubStore } from '../store/hub-store';
import type { UserRecord } from '../store/records';
import { hashPassword, oneTimePassword } from './passwords';

export const USERNAME_PATTERN = '^[a-z][a-z0-9._-]{1,31}$';

export class UserExistsError extends Error {}

/** Creates a user with a one-time password, returned once and never stored in clear. */
export async function createUser(store: HubStore, username: string, role: Role, now = new Date()): Promise<{ user: UserRecord; password: string }> {
  if (await store.getUser(username)) throw new UserExistsError(`user "${username}" already exists`);
  const password = oneTimePassword();
  const user: UserRecord = { username, role, passwordHash: await hashPassword(password), mustChangePassword: true, createdAt: now.toISOString() };
  await store.putUser(user);
  return { user, password };
}

/**
 * At first start there is no user at all: create "admin" with a one-time password that
 * the caller prints once. There is no default password anywhere.
 */
export async function ensureFirstAdmin(store: HubStore): Promise<string | undefined> {
  if ((await store.listUsers()).length > 0) return undefined;
  const { password } = await createUser(store, 'admin', 'admin');
  return password;
}

export function publicUser(u: UserRecord) {
  return { username: u.username, role: u.role, mustChangePassword: u.mustChangePassword, createdAt: u.createdAt };
}
