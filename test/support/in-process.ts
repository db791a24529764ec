import { Agent, parseAgentConfig } from '@sargs/agent';
import { startHub, type RunningHub } from '@sargs/hub';
import { HubClient } from './hub-client';
import { capturedLogger } from './log-capture';
import { consoleDir } from './paths';

export const ADMIN_PASSWORD = 'admin password for tests';

/** A real hub (sockets, LevelDB on disk) in this process, with a signed-in admin client. */
export async function hubWithAdmin(dataDir: string): Promise<{ hub: RunningHub; admin: HubClient; logs: Record<string, unknown>[] }> {
  let oneTime = '';
  const { logger, lines } = capturedLogger('hub');
  const hub = await startHub({ dataDir, port: 0, consoleDir, logger, onFirstAdmin: (p) => { oneTime = p; } });
  const admin = new HubClient(hub.url);
  await admin.signInFirstTime('admin', oneTime, ADMIN_PASSWORD);
  return { hub, admin, logs: lines };
}

/** A real agent in this process with fast reconnects, so link tests do not wait for production backoff. */
export async function testAgent(hubUrl: string, token: string, dataDir: string, extra: Record<string, unknown> = {}): Promise<{ agent: Agent; logs: Record<string, unknown>[] }> {
  const { logger, lines } = capturedLogger('agent');
  const config = parseAgentConfig({ hub: { url: hubUrl.replace(/^http/, 'ws'), enrolmentToken: token }, name: 'test-gateway', dataDir, statusIntervalS: 1, ...extra }, dataDir);
  const agent = await Agent.start({ config, logger, backoff: { baseMs: 100, maxMs: 1000 } });
  return { agent, logs: lines };
}

/** Creates a user with the given role and signs them in with their own password. */
export async function userWithRole(admin: HubClient, username: string, role: string): Promise<HubClient> {
  const r = await admin.json<{ oneTimePassword: string }>('POST', '/api/users', { username, role });
  const c = new HubClient(admin.baseUrl);
  await c.signInFirstTime(username, r.oneTimePassword, `${username} chosen password`);
  return c;
}
