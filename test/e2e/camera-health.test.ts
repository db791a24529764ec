import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import type { RunningHub } from '@sargs/hub';
import type { CameraView } from '@sargs/shared';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { run } from '@sargs/sim/camera/test-helpers';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';
import { watchCameras } from '../support/console-watch';


describe('camera onboarding and health through the hub', () => {
  const hubDir = tempDir('hub');
  const agentDir = tempDir('agent');
  let hub: RunningHub;
  let admin: HubClient;
  let agent: Agent;
  let siteId: string;
  let cam: SimulatedCamera;
  let watch: Awaited<ReturnType<typeof watchCameras>>;

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(hubDir.path));
    const site = await admin.createSite('Camera parish');
    siteId = site.site.id;
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, agentDir.path, { recordings: { segmentSeconds: 4 }, health: { probeIntervalS: 2, onlineProbeIntervalS: 12 } }));
    await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
    cam = await SimulatedCamera.start({ name: 'Gate', username: 'admin', password: 'gate-secret' });
    watch = await watchCameras(hub.url, admin);
  });
  afterAll(async () => {
    watch?.ws.close();
    await agent?.stop();
    await cam?.stop();
    await hub?.close();
    hubDir.remove();
    agentDir.remove();
  });

  it('refuses a wrong password, an unreachable address and a skewed clock with distinct reasons', async () => {
    let r = await admin.request('POST', `/api/sites/${siteId}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: 'wrong' });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'unauthorized' });
    r = await admin.request('POST', `/api/sites/${siteId}/cameras`, { url: 'http://127.0.0.1:9/onvif/device_service', username: 'admin', password: 'x' });
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ code: 'unreachable' });
    await cam.skewClock(20 * 60_000);
    r = await admin.request('POST', `/api/sites/${siteId}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: 'gate-secret' });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'clock-skew' });
    await cam.skewClock(0);
  });

  it('adds a camera through the hub; it records and shows online', async () => {
    const r = await admin.request('POST', `/api/sites/${siteId}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: 'gate-secret', name: 'Main gate' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const id = (r.body as { id: string }).id;
    expect(r.body).toMatchObject({ name: 'Main gate', encoding: 'H264', width: 640, height: 360 });
    await waitFor('camera online in the hub', () => watch.latest(id)?.view.health.state === 'online', 20_000);
    const snap = await fetch(`${hub.url}/api/cameras/${id}/snapshot`, { headers: { cookie: admin.cookie! } });
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect([...new Uint8Array(await snap.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
    const listed = await admin.json<CameraView[]>('GET', `/api/cameras?siteId=${siteId}`);
    expect(listed.map((c) => [c.info.name, c.health.state])).toEqual([['Main gate', 'online']]);
  });

  it('a stopped stream is offline in the hub within 3 s, back online when restored, with the gap in the recordings', async () => {
    const id = agent.cameras.list()[0]!.info.id;
    await waitFor('a finished segment', async () => (await agent.cameras.index.all(id)).length > 0, 20_000);
    const stoppedAt = Date.now();
    await cam.stopStream();
    const offline = await waitFor('offline', () => { const l = watch.latest(id); return l?.view.health.state === 'offline' ? l : undefined; }, 10_000);
    expect(offline.at - stoppedAt).toBeLessThan(3000);
    expect(['recorder-restarting', 'stalled', 'no-video']).toContain(offline.view.health.reason);
    await waitFor('reason no-video (ONVIF answers, RTSP refuses)', () => watch.latest(id)?.view.health.reason === 'no-video', 15_000);

    const restoredAt = Date.now();
    await cam.startStream();
    await waitFor('online again', () => watch.latest(id)?.view.health.state === 'online', 30_000);
    await waitFor('a segment after the outage', async () => (await agent.cameras.index.all(id)).some((s) => Date.parse(s.start) >= restoredAt), 30_000);
    const from = new Date(stoppedAt - 60_000).toISOString();
    const to = new Date().toISOString();
    const ranges = await admin.json<{ ranges: unknown[]; gaps: { start: string; end: string }[] }>('GET', `/api/cameras/${id}/recordings?from=${from}&to=${to}`);
    const gap = ranges.gaps.find((g) => Date.parse(g.start) <= stoppedAt + 1000 && Date.parse(g.end) >= restoredAt - 1000);
    expect(gap, JSON.stringify(ranges)).toBeDefined();

    const history = await admin.json<{ changes: { state: string; reason: string | null }[] }>('GET', `/api/cameras/${id}/history`);
    expect(history.changes.map((c) => c.state)).toEqual(expect.arrayContaining(['online', 'offline']));
  });

  it('exports a range spanning three segments through the hub as one playable MP4 with its SHA-256', async () => {
    const id = agent.cameras.list()[0]!.info.id;
    const segs = await waitFor('four segments in a row', async () => {
      const all = (await agent.cameras.index.all(id)).filter((s) => Date.parse(s.start) > Date.now() - 10 * 60_000);
      for (let i = 0; i + 3 < all.length; i++) {
        const run4 = all.slice(i, i + 4);
        if (run4.every((s, k) => k === 0 || Math.abs(Date.parse(s.start) - Date.parse(run4[k - 1]!.end)) < 1500)) return run4;
      }
      return undefined;
    }, 60_000);
    // From inside the first segment to inside the third: three files are cut and joined.
    const from = new Date(Date.parse(segs[0]!.start) + 1000);
    const to = new Date(Date.parse(segs[2]!.end) - 1000);
    const res = await fetch(`${hub.url}/api/cameras/${id}/export?from=${from.toISOString()}&to=${to.toISOString()}&reason=${encodeURIComponent('incident 2026-117 at the gate')}`, { headers: { cookie: admin.cookie! } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(Number(res.headers.get('content-length')));
    // The hash is known only after the last byte: the export named in x-export-id holds it once the body has ended.
    const status = await admin.json<{ sha256?: string }>('GET', `/api/video/exports/${res.headers.get('x-export-id')}`);
    expect(createHash('sha256').update(body).digest('hex')).toBe(status.sha256);
    const file = join(agentDir.path, 'export.mp4');
    writeFileSync(file, body);
    const probe = await run('/usr/bin/ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', file]);
    expect(probe.code, probe.stderr).toBe(0);
    const parsed = JSON.parse(probe.stdout) as { format: { duration: string }; streams: { codec_name: string }[] };
    expect(parsed.streams[0]?.codec_name).toBe('h264');
    const wanted = (to.getTime() - from.getTime()) / 1000;
    // Cut at keyframes: it may start up to one keyframe interval (2 s) early.
    expect(Number(parsed.format.duration)).toBeGreaterThanOrEqual(wanted - 0.5);
    expect(Number(parsed.format.duration)).toBeLessThanOrEqual(wanted + 2.5);

    // The export is accounted for: who, why, and the hash of exactly what was handed out.
    const audit = await admin.json<{ entries: { actor: string; reason?: string; details?: { sha256?: string; bytes?: number } }[] }>('GET', '/api/audit?action=footage.export');
    expect(audit.entries[0]).toMatchObject({ actor: 'admin', reason: 'incident 2026-117 at the gate', details: { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length } });

    const noReason = await admin.request('GET', `/api/cameras/${id}/export?from=${from.toISOString()}&to=${to.toISOString()}`);
    expect(noReason.status).toBe(400);
    const nothing = await admin.request('GET', `/api/cameras/${id}/export?from=2020-01-01T00:00:00Z&to=2020-01-01T00:10:00Z&reason=nothing-there`);
    expect(nothing.status).toBe(404);
    expect((nothing.body as { error: string }).error).toMatch(/^No footage was recorded by /);
  });

  it('a camera whose password was changed behind our back shows as unauthorized', async () => {
    const id = agent.cameras.list()[0]!.info.id;
    await waitFor('online', () => watch.latest(id)?.view.health.state === 'online', 30_000);
    await cam.setPassword('rotated-by-someone');
    // The simulator's RTSP takes no password, so video goes on: degraded, not offline.
    await waitFor('unauthorized', () => watch.latest(id)?.view.health.reason === 'unauthorized', 20_000);
    expect(watch.latest(id)?.view.health.state).toBe('degraded');
    await cam.setPassword('gate-secret');
    await waitFor('online again with the right password', () => watch.latest(id)?.view.health.state === 'online', 20_000);
  });

  it('a camera whose clock drifts shows as degraded, clock-skew, while it keeps recording', async () => {
    const id = agent.cameras.list()[0]!.info.id;
    await waitFor('online', () => watch.latest(id)?.view.health.state === 'online', 30_000);
    await cam.skewClock(90_000);
    await waitFor('clock-skew', () => watch.latest(id)?.view.health.reason === 'clock-skew', 20_000);
    expect(watch.latest(id)?.view.health, JSON.stringify(watch.latest(id)?.view.health)).toMatchObject({ state: 'degraded', detail: expect.stringMatching(/(89|90)\.\d s off/) });
    await cam.skewClock(0);
    await waitFor('online again', () => watch.latest(id)?.view.health.state === 'online', 20_000);
  });
});
