// Footage export through the hub: agent handler → media link → hub → HTTP, one real hub and
// agent in this process, recorder-made segments in the agent's index.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listExports } from '@sargs/hub/video/export-records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubClient } from '../support/hub-client';
import { userWithRole } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';
import { exportSite, probeFile, type ExportSite } from './export-fixtures';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Created { id: string; bytes: number; startsAt: string; durationS: number; gaps: { from: string; to: string }[] }
interface Status { state: string; bytes: number; bytesSent: number; sha256?: string; error?: string }
interface AuditPage { entries: { action: string; actor: string; reason?: string; details?: Record<string, unknown> }[] }

async function download(client: HubClient, path: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(new URL(path, client.baseUrl), { headers: { cookie: client.cookie! } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

describe('footage export through the hub', () => {
  const work = tempDir('export-hub-work');
  let site: ExportSite;
  let security: HubClient;
  let other: HubClient;

  beforeAll(async () => {
    // 0–12 s in three 4 s segments, nothing 12–20 s, then 20–28 s.
    site = await exportSite('export-hub', { segments: 5, layout: [0, 4, 8, 20, 24] });
    security = await userWithRole(site.admin, 'officer', 'security');
    other = await userWithRole(site.admin, 'officer2', 'security');
  });
  afterAll(async () => { await site?.close(); work.remove(); });

  it('prepares the file with its exact size, streams it to the same user, and records its SHA-256 in the export and the audit log', async () => {
    const { at, cameraId } = site;
    const reason = 'incident 2026-117 at the gate';
    const created = await security.request('POST', '/api/video/exports', { cameraId, from: at(3.3), to: at(22), reason });
    expect(created.status).toBe(201);
    const c = created.body as Created;
    expect(c).toMatchObject({ startsAt: at(2), gaps: [{ from: at(12), to: at(20) }] });
    expect(c.durationS).toBeGreaterThan(20 - 0.1);
    expect(await security.json<Status>('GET', `/api/video/exports/${c.id}`)).toMatchObject({ state: 'ready', bytes: c.bytes, bytesSent: 0 });
    // Someone else cannot take it.
    expect((await download(other, `/api/video/exports/${c.id}/download`)).status).toBe(403);
    expect((await other.request('GET', `/api/video/exports/${c.id}`)).status).toBe(404);

    const got = await download(security, `/api/video/exports/${c.id}/download`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('video/mp4');
    expect(Number(got.headers.get('content-length'))).toBe(c.bytes);
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="Depot_gate_.*\.mp4"$/);
    expect(got.body.length).toBe(c.bytes);
    // The reply ends only after the hash is stored: it is there at once.
    const done = await security.json<Status>('GET', `/api/video/exports/${c.id}`);
    expect(done).toEqual({ id: c.id, cameraId, state: 'done', bytes: c.bytes, bytesSent: c.bytes, startsAt: c.startsAt, durationS: c.durationS, sha256: sha(got.body) });

    const audit = await site.admin.json<AuditPage>('GET', '/api/audit?action=footage.export');
    expect(audit.entries.slice(0, 2).map((e) => e.action)).toEqual(['footage.export', 'footage.export.start']);
    expect(audit.entries[0]).toMatchObject({ actor: 'officer', reason, details: { exportId: c.id, from: at(3.3), to: at(22), bytes: c.bytes, sha256: sha(got.body) } });
    expect(audit.entries[1]).toMatchObject({ actor: 'officer', reason, details: { exportId: c.id, bytes: c.bytes } });

    const file = join(work.path, 'export.mp4');
    await writeFile(file, got.body);
    const p = await probeFile(file);
    expect(p.decodeErrors).toBe('');
    expect(p.packets[0]).toMatchObject({ dts: 0, key: true });
    expect(Math.abs(p.durationS - c.durationS)).toBeLessThan(0.05);

    // Once only.
    expect((await download(security, `/api/video/exports/${c.id}/download`)).status).toBe(409);
    // The timeline's list.
    const listed = await security.json<{ exports: { id: string; state: string; sha256?: string }[] }>('GET', `/api/video/exports?cameraId=${cameraId}&from=${at(0)}&to=${at(30)}`);
    expect(listed.exports.find((e) => e.id === c.id)).toMatchObject({ state: 'done', sha256: sha(got.body) });
    expect((await listExports(site.hub.store, cameraId, at(0), at(30))).map((r) => r.id)).toContain(c.id);
    expect(await listExports(site.hub.store, cameraId, at(23), at(30))).toEqual([]);
  });

  it('answers a range without footage with a sentence, and refuses bad ranges and unknown cameras', async () => {
    const { at, cameraId } = site;
    const none = await security.request('POST', '/api/video/exports', { cameraId, from: at(13), to: at(19), reason: 'looking for the van' });
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ error: `No footage was recorded by Depot gate between ${at(13).slice(0, 10)} ${at(13).slice(11, 19)} UTC and ${at(19).slice(0, 10)} ${at(19).slice(11, 19)} UTC.` });
    const reversed = await security.request('POST', '/api/video/exports', { cameraId, from: at(10), to: at(5), reason: 'looking for the van' });
    expect(reversed).toMatchObject({ status: 400, body: { error: 'The export range must end after it starts.' } });
    const long = await security.request('POST', '/api/video/exports', { cameraId, from: at(0), to: at(25 * 3600), reason: 'looking for the van' });
    expect(long).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^Exports are limited to 24 hours/) } });
    expect((await security.request('POST', '/api/video/exports', { cameraId: 'nope', from: at(0), to: at(5), reason: 'looking for the van' })).status).toBe(404);
    expect((await security.request('POST', '/api/video/exports', { cameraId, from: at(0), to: at(5), reason: 'van' })).status).toBe(400);
    expect((await security.request('GET', `/api/cameras/${cameraId}/export?from=${at(13)}&to=${at(19)}&reason=looking%20for%20the%20van`)).status).toBe(404);
  });

  it('GET /api/cameras/:id/export streams in one request; the hash is in the export named by x-export-id when the body ends', async () => {
    const { at, cameraId } = site;
    const got = await download(security, `/api/cameras/${cameraId}/export?from=${at(0)}&to=${at(8)}&reason=${encodeURIComponent('insurance claim 77')}`);
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(Number(got.headers.get('content-length')));
    expect(got.headers.get('x-content-sha256')).toBeNull();
    const s = await security.json<Status>('GET', `/api/video/exports/${got.headers.get('x-export-id')}`);
    expect(s).toMatchObject({ state: 'done', sha256: sha(got.body) });
  });

  it('only admin and security may export; operators and pilots get 403 on every export route', async () => {
    const { at, cameraId } = site;
    const operator = await userWithRole(site.admin, 'operator1', 'operator');
    const pilot = await userWithRole(site.admin, 'pilot1', 'pilot');
    const mine = (await site.admin.json<Created>('POST', '/api/video/exports', { cameraId, from: at(0), to: at(2), reason: 'admin spot check' }));
    for (const c of [operator, pilot]) {
      expect((await c.request('POST', '/api/video/exports', { cameraId, from: at(0), to: at(2), reason: 'not allowed to' })).status).toBe(403);
      expect((await c.request('GET', `/api/video/exports?cameraId=${cameraId}&from=${at(0)}&to=${at(2)}`)).status).toBe(403);
      expect((await c.request('GET', `/api/video/exports/${mine.id}`)).status).toBe(403);
      expect((await c.request('GET', `/api/video/exports/${mine.id}/download`)).status).toBe(403);
      expect((await c.request('GET', `/api/cameras/${cameraId}/export?from=${at(0)}&to=${at(2)}&reason=not%20allowed%20to`)).status).toBe(403);
    }
    const got = await download(site.admin, `/api/video/exports/${mine.id}/download`);
    expect(got.status).toBe(200);
  });
});

describe('an interrupted export download', () => {
  let site: ExportSite;
  let security: HubClient;

  beforeAll(async () => {
    // About 4 MB a segment, 40 MB in all: far more than the credit and the socket buffers hold.
    site = await exportSite('export-cut', { segments: 1, kbps: 8000, size: '640x360', layout: [0, 4, 8, 12, 16, 20, 24, 28, 32, 36] });
    security = await userWithRole(site.admin, 'officer', 'security');
  });
  afterAll(async () => { await site?.close(); });

  it('is marked failed with the bytes sent and audited, and the agent\'s call is cancelled', async () => {
    const { at, cameraId } = site;
    const c = await security.json<Created>('POST', '/api/video/exports', { cameraId, from: at(0), to: at(40), reason: 'cut short on purpose' });
    expect(c.bytes).toBeGreaterThan(30_000_000);
    const abort = new AbortController();
    const res = await fetch(new URL(`/api/video/exports/${c.id}/download`, site.hub.url), { headers: { cookie: security.cookie! }, signal: abort.signal });
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 1_000_000) got += (await reader.read()).value?.length ?? 0;
    abort.abort();
    const s = await waitFor('export failed', async () => {
      const st = await security.json<Status>('GET', `/api/video/exports/${c.id}`);
      return st.state === 'failed' ? st : undefined;
    });
    expect(s.bytesSent).toBeGreaterThan(0);
    expect(s.bytesSent).toBeLessThan(c.bytes);
    expect(s.error).toMatch(/stopped after \d+ of \d+ bytes/);
    const audit = await site.admin.json<AuditPage>('GET', '/api/audit?action=footage.export');
    expect(audit.entries.map((e) => e.action)).toEqual(['footage.export.failed', 'footage.export.start']);
    expect(audit.entries[0]?.details).toMatchObject({ exportId: c.id, bytes: c.bytes, bytesSent: s.bytesSent });
  });
});
