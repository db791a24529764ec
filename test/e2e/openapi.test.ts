import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '@sargs/hub';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin } from '../support/in-process';
import { tempDir } from '../support/paths';

describe('the API is described and strict', () => {
  const dir = tempDir('openapi');
  let hub: RunningHub;
  let admin: HubClient;
  beforeAll(async () => { ({ hub, admin } = await hubWithAdmin(dir.path)); });
  afterAll(async () => { await hub?.close(); dir.remove(); });

  it('serves an OpenAPI document listing every API route with its schema', async () => {
    const doc = await admin.json<{ openapi: string; paths: Record<string, Record<string, { parameters?: unknown[]; requestBody?: unknown }>> }>('GET', '/api/openapi.json');
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const served = hub.routes.filter((r) => r.url.startsWith('/api/') && r.url !== '/api/openapi.json').map((r) => `${r.method} ${r.url}`);
    expect(documented.sort()).toEqual(expect.arrayContaining(served.sort()));
    expect(doc.paths['/api/sites']?.post?.requestBody).toBeDefined();
  });

  it.each([
    ['POST', '/api/sites', { name: 'x', extra: 1 }, /must NOT have additional properties/],
    ['POST', '/api/sites', { name: 42 }, /body\/name must be string/],
    ['POST', '/api/users', { username: 'Bad Name!', role: 'admin' }, /body\/username must match pattern/],
    ['POST', '/api/users', { username: 'okname', role: 'overlord' }, /body\/role/],
    ['GET', '/api/cameras/x/recordings?from=yesterday&to=now', undefined, /querystring\/from must match format "date-time"/],
    ['GET', '/api/agents/x/events?limit=999999', undefined, /querystring\/limit must be <= 5000/],
    ['POST', '/api/session', 'not json at all', /not valid JSON/],
  ])('%s %s with a mistake → 400 saying what is wrong', async (method, path, body, message) => {
    const r = await admin.request(method, path, body);
    expect(r.status).toBe(400);
    expect((r.body as { error: string }).error).toMatch(message);
  });

  it('an oversized body is refused with 413, not a crash', async () => {
    const r = await admin.request('POST', '/api/sites', { name: 'x'.repeat(100_000) });
    expect(r.status).toBe(413);
    expect((await admin.request('GET', '/api/health')).status).toBe(200);
  });
});
