import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { HubStore } from '../store/hub-store';
import type { AgentRecord } from '../store/records';

/**
 * An enrolment token is `sargs1.<agentId>.<secret>`: the id finds the record, the secret
 * proves possession. Only SHA-256 of the secret is stored (it has 256 bits of entropy,
 * so a slow hash adds nothing).
 */
const PREFIX = 'sargs1';
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('base64url');

export async function issueAgent(store: HubStore, siteId: string, name: string, now = new Date()): Promise<{ agent: AgentRecord; token: string }> {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  const agent: AgentRecord = {
    id, siteId, name, tokenHash: hashSecret(secret), createdAt: now.toISOString(),
    revoked: false, lastSeen: null, version: null, hostname: null, lastSeq: 0,
  };
  await store.putAgent(agent);
  return { agent, token: `${PREFIX}.${id}.${secret}` };
}

declare module 'fastify' {
  interface FastifyRequest { agent?: AgentRecord }
}

export type TokenCheck = { ok: true; agent: AgentRecord } | { ok: false; reason: string };

export async function checkToken(store: HubStore, token: string | undefined): Promise<TokenCheck> {
  if (!token) return { ok: false, reason: 'no enrolment token presented' };
  const [prefix, id, secret, ...rest] = token.split('.');
  if (prefix !== PREFIX || !id || !secret || rest.length || id.length > 64) return { ok: false, reason: 'enrolment token is malformed' };
  const agent = await store.getAgent(id);
  const expected = Buffer.from(agent?.tokenHash ?? hashSecret('no-such-agent'));
  const actual = Buffer.from(hashSecret(secret));
  const match = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!agent || !match) return { ok: false, reason: 'enrolment token is not known to this hub' };
  if (agent.revoked) return { ok: false, reason: 'enrolment token has been revoked' };
  return { ok: true, agent };
}

/**
 * The pre-upgrade check of an agent's WebSocket (its main link and its media link): the request's
 * `Bearer` enrolment token must name a live agent, which is put on `req.agent`; otherwise a 401 with why.
 */
export function agentTokenCheck(store: HubStore, log: FastifyBaseLogger, link: string) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const result = await checkToken(store, token);
    if (!result.ok) {
      log.warn({ ip: req.ip, reason: result.reason, link }, 'agent refused');
      return void reply.code(401).send({ error: result.reason });
    }
    req.agent = result.agent;
  };
}
