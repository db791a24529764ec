import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '@sargs/hub';
import { ROLES, type Role } from '@sargs/shared';
import WebSocket from 'ws';
import { HubClient } from '../support/hub-client';
import { hubWithAdmin, userWithRole } from '../support/in-process';
import { tempDir } from '../support/paths';

type Access = 'public' | 'agent' | 'signed-in' | readonly Role[];

/**
 * Who may reach each route: the specification this test holds the hub to. A route the
 * hub serves that is missing here fails the test, so no route escapes review.
 */
const EXPECTED: Record<string, Access> = {
  'GET /api/health': 'public',
  'POST /api/session': 'public',
  'GET /api/session': 'signed-in',
  'DELETE /api/session': 'signed-in',
  'POST /api/session/password': 'signed-in',
  'GET /api/routes': ['admin'],
  'GET /api/audit': ['admin'],
  'GET /api/audit/verify': ['admin'],
  'GET /api/alerts': ['admin', 'operator'],
  'POST /api/alerts/:alertId/ack': ['admin', 'operator'],
  'GET /api/alerts/deliveries': ['admin', 'operator'],
  'GET /api/openapi.json': 'signed-in',
  'GET /api/users': ['admin'],
  'POST /api/users': ['admin'],
  'DELETE /api/users/:username': ['admin'],
  'GET /api/fleet': ['admin', 'operator', 'security', 'pilot'],
  'POST /api/sites': ['admin'],
  'POST /api/sites/:siteId/agents': ['admin'],
  'POST /api/agents/:agentId/revoke': ['admin'],
  'GET /api/agents/:agentId/events': ['admin', 'operator'],
  'GET /api/cameras': ['admin', 'operator', 'security'],
  'GET /api/cameras/:cameraId/history': ['admin', 'operator'],
  'GET /api/cameras/:cameraId/recordings': ['admin', 'operator', 'security'],
  'GET /api/cameras/:cameraId/snapshot': ['admin', 'operator', 'security'],
  'GET /api/cameras/:cameraId/export': ['admin', 'security'],
  'POST /api/video/exports': ['admin', 'security'],
  'GET /api/video/exports': ['admin', 'security'],
  'GET /api/video/exports/:id': ['admin', 'security'],
  'GET /api/video/exports/:id/download': ['admin', 'security'],
  'GET /api/video/live': ['admin', 'operator', 'security'],
  'GET /api/video/layouts': ['admin', 'operator', 'security'],
  'PUT /api/video/layouts': ['admin', 'operator', 'security'],
  'POST /api/video/sessions': ['admin', 'security'],
  'POST /api/video/sessions/:id/end': ['admin', 'security'],
  'GET /api/video/cameras/:cameraId/timeline': ['admin', 'security'],
  'GET /api/video/cameras/:cameraId/playlist.m3u8': ['admin', 'security'],
  'GET /api/video/cameras/:cameraId/media': ['admin', 'security'],
  'GET /api/video/cameras/:cameraId/still': ['admin', 'security'],
  'GET /api/cameras/:cameraId/holds': ['admin', 'security'],
  'POST /api/cameras/:cameraId/holds': ['admin', 'security'],
  'DELETE /api/cameras/:cameraId/holds/:holdId': ['admin', 'security'],
  'GET /api/sites/:siteId/retention': ['admin', 'operator', 'security'],
  'PUT /api/sites/:siteId/retention': ['admin'],
  'DELETE /api/cameras/:cameraId': ['admin', 'operator'],
  'GET /api/sites/:siteId/discovery': ['admin', 'operator'],
  'POST /api/sites/:siteId/cameras': ['admin', 'operator'],
  'GET /api/vehicles': ['admin', 'operator', 'pilot'],
  'GET /api/sites/:siteId/mavlink-links': ['admin', 'operator', 'pilot'],
  'GET /api/flights': ['admin', 'operator', 'pilot'],
  'GET /api/flights/:id': ['admin', 'operator', 'pilot'],
  'PATCH /api/flights/:id': ['admin', 'pilot'],
  'POST /api/flights/upload': ['admin', 'pilot'],
  'GET /api/flights/:id/track.geojson': ['admin', 'operator', 'pilot'],
  'GET /api/flights/:id/track.kml': ['admin', 'operator', 'pilot'],
  'GET /api/flights/:id/track.gpx': ['admin', 'operator', 'pilot'],
  'GET /api/flights/:id/tlog': ['admin', 'operator', 'pilot'],
  'GET /api/sites/:siteId/lighting': ['admin', 'operator', 'security'],
  'PUT /api/sites/:siteId/lighting': ['admin', 'operator'],
  'POST /api/sites/:siteId/lighting/scenes/:scene/override': ['admin', 'operator'],
  'DELETE /api/sites/:siteId/lighting/scenes/:scene/override': ['admin', 'operator'],
  'GET /api/survey/cameras': ['admin', 'operator', 'pilot'],
  'GET /api/sites/:siteId/areas': ['admin', 'operator', 'pilot'],
  'POST /api/sites/:siteId/areas': ['admin', 'pilot'],
  'DELETE /api/sites/:siteId/areas/:areaId': ['admin', 'pilot'],
  'POST /api/survey/plan': ['admin', 'pilot'],
  'POST /api/survey/check': ['admin', 'pilot'],
  'POST /api/survey/export': ['admin', 'pilot'],
  'GET /api/survey/zones': ['admin', 'operator', 'pilot'],
  'PUT /api/survey/zones': ['admin', 'pilot'],
  'POST /api/sites/:siteId/vehicles/:systemId/mission': ['admin', 'pilot'],
  'GET /api/sites/:siteId/vehicles/:systemId/mission': ['admin', 'pilot'],
  'GET /agent/ws': 'agent',
  'GET /console/ws': 'signed-in',
};
/** The console's own files are public; they carry no data. */
const isConsoleFile = (method: string, url: string) => method === 'GET' && !url.startsWith('/api/') && !url.endsWith('/ws');

const fill = (url: string) => url.replace(/:(\w+)/g, (_m, name: string) => `no-such-${name.toLowerCase()}`);

function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (_req, res) => { res.resume(); resolve(res.statusCode ?? 0); });
    ws.on('error', () => undefined);
  });
}

describe('every route checks the session and the role', () => {
  const dir = tempDir('perm');
  let hub: RunningHub;
  let admin: HubClient;
  const clients = new Map<Role, HubClient>();

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(dir.path));
    clients.set('admin', admin);
    for (const role of ROLES.filter((r) => r !== 'admin')) clients.set(role, await userWithRole(admin, `${role}1`, role));
  });
  afterAll(async () => { await hub?.close(); dir.remove(); });

  it('the table covers exactly the routes the hub serves', () => {
    const served = hub.routes.filter((r) => !isConsoleFile(r.method, r.url)).map((r) => `${r.method} ${r.url}`).sort();
    expect(served).toEqual(Object.keys(EXPECTED).sort());
    for (const r of hub.routes) expect(r.access, `${r.method} ${r.url} declares who may call it`).toBeDefined();
  });

  const roleRoutes = Object.entries(EXPECTED).filter((e): e is [string, readonly Role[]] => Array.isArray(e[1]));
  for (const [route, allowed] of roleRoutes) {
    for (const role of ROLES) {
      const denied = !allowed.includes(role);
      it(`${route} as ${role} → ${denied ? '403' : 'allowed'}`, async () => {
        const [method, url] = route.split(' ') as [string, string];
        const body = method === 'GET' || method === 'DELETE' ? undefined : {};
        const r = await clients.get(role)!.request(method, fill(url), body);
        if (denied) {
          expect(r.status).toBe(403);
          expect((r.body as { error: string }).error).toMatch(new RegExp(`role "${role}" may not`));
        } else {
          expect([401, 403]).not.toContain(r.status);
          expect(r.status).toBeLessThan(500);
        }
      });
    }
  }

  it('without a session every non-public HTTP route answers 401', async () => {
    const anonymous = new HubClient(hub.url);
    for (const [route, access] of Object.entries(EXPECTED)) {
      const [method, url] = route.split(' ') as [string, string];
      if (access === 'public' || url.endsWith('/ws')) continue;
      const r = await anonymous.request(method, fill(url), method === 'POST' ? {} : undefined);
      expect(r.status, route).toBe(401);
    }
  });

  it('WebSockets: the console socket needs a session, the agent socket an enrolment token (a user session is not one)', async () => {
    const base = hub.url.replace('http', 'ws');
    expect(await upgrade(`${base}/console/ws`, {})).toBe(401);
    expect(await upgrade(`${base}/console/ws`, { cookie: 'sargs_session=forged' })).toBe(401);
    expect(await upgrade(`${base}/console/ws`, { cookie: clients.get('pilot')!.cookie! })).toBe(101);
    expect(await upgrade(`${base}/agent/ws`, { cookie: admin.cookie! })).toBe(401);
  });

  it('a user holding a one-time password can do nothing but replace it', async () => {
    const r = await admin.json<{ oneTimePassword: string }>('POST', '/api/users', { username: 'newcomer', role: 'operator' });
    const c = new HubClient(hub.url);
    await c.signIn('newcomer', r.oneTimePassword);
    const fleet = await c.request('GET', '/api/fleet');
    expect(fleet.status).toBe(403);
    expect((fleet.body as { error: string }).error).toMatch(/one-time password/);
    expect(await upgrade(`${hub.url.replace('http', 'ws')}/console/ws`, { cookie: c.cookie! })).toBe(403);
    await c.json('POST', '/api/session/password', { current: r.oneTimePassword, next: 'a password of my own' });
    expect((await c.request('GET', '/api/fleet')).status).toBe(200);
  });
});
