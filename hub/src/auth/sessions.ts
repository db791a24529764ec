import { createHash, randomBytes } from 'node:crypto';
import type { HubStore } from '../store/hub-store';
import type { SessionRecord } from '../store/records';

export const SESSION_COOKIE = 'sargs_session';
const SESSION_TTL_MS = 12 * 3600_000;

/** Only a hash of the cookie value is stored, so a copied database holds no usable session. */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

export class Sessions {
  constructor(private readonly store: HubStore, private readonly now: () => number = Date.now) {}

  async create(username: string): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now() + SESSION_TTL_MS);
    await this.store.putSession(tokenHash(token), { username, createdAt: new Date(this.now()).toISOString(), expiresAt: expiresAt.toISOString() });
    return { token, expiresAt };
  }

  async resolve(token: string | undefined): Promise<SessionRecord | undefined> {
    if (!token || token.length > 100) return undefined;
    const s = await this.store.getSession(tokenHash(token));
    if (!s) return undefined;
    if (Date.parse(s.expiresAt) <= this.now()) {
      await this.store.deleteSession(tokenHash(token));
      return undefined;
    }
    return s;
  }

  destroy(token: string): Promise<void> {
    return this.store.deleteSession(tokenHash(token));
  }
}
