import type { FastifyBaseLogger } from 'fastify';
import type { AgentGateway } from '../agents/agent-gateway';
import type { AuditLog } from '../audit/audit-log';
import type { Fleet } from '../fleet/fleet';
import type { HubStore } from '../store/hub-store';
import type { MediaGateway } from './media-gateway';
import type { ViewingSessions } from './viewing-sessions';

/** What the hub's video routes work with. */
export interface VideoDeps {
  store: HubStore;
  fleet: Fleet;
  agents: AgentGateway;
  media: MediaGateway;
  audit: AuditLog;
  viewing: ViewingSessions;
  log: FastifyBaseLogger;
}
