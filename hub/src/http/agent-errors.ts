import type { FastifyReply } from 'fastify';
import { AgentRequestError } from '../agents/agent-gateway';

/**
 * Maps an agent's answer to HTTP: what the user got wrong (a camera's password, a bad
 * address) is 4xx with the agent's own words; what is down (the agent, the camera) is 5xx
 * that says which, never a bare "internal error".
 */
const STATUS: Record<AgentRequestError['code'], number> = {
  'bad-request': 400, 'not-found': 404, conflict: 409, unauthorized: 422, 'clock-skew': 422, protocol: 422,
  'unknown-op': 501, unreachable: 502, timeout: 504, internal: 502,
};

export function replyAgentError(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof AgentRequestError)) throw err;
  const status = err.message === 'the site agent is not connected' ? 503 : STATUS[err.code];
  return reply.code(status).send({ error: err.message, code: err.code });
}
