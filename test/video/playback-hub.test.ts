// Recorded playback through the hub's HTTP API: a real hub, a real agent recording a simulated
// camera in 4 s segments, the media link between them. Sessions and roles, the playlist (checked
// by ffmpeg's own HLS reader too), byte ranges as on disk, stills, and the audit of a session.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import type { RunningHub } from '@sargs/hub';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent, userWithRole } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

const run = promisify(execFile);

interface Timeline { ranges: { start: string; end: string }[]; gaps: unknown[]; holds: { reason: string }[]; exports: unknown[] }

describe('recorded playback through the hub', () => {
  const dir = tempDir('playback-hub');
  let hub: RunningHub;
  let admin: HubClient;
  let officer: HubClient;
  let agent: Agent;
  let cam: SimulatedCamera;
  let cameraId: string;
  let siteId: string;

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(join(dir.path, 'hub')));
    const site = await admin.createSite('Playback parish');
    siteId = site.site.id;
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, join(dir.path, 'agent'), { recordings: { segmentSeconds: 4 } }));
    cam = await SimulatedCamera.start({ name: 'Gate', username: 'admin', password: 'gate-secret' });
    await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
    cameraId = (await admin.json<{ id: string }>('POST', `/api/sites/${siteId}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: 'gate-secret', name: 'Gate' })).id;
    officer = await userWithRole(admin, 'officer', 'security');
    await waitFor('media link up', () => hub.media.isConnected(site.agent.id), 10_000);
    // Three finished segments: enough to cross two file boundaries.
    await waitFor('three recorded segments', async () => (await agent.cameras.index.all(cameraId)).length >= 3, 40_000, 200);
  });
  afterAll(async () => {
    await agent?.stop();
    await cam?.stop();
    await hub?.close();
    dir.remove();
  });

  const session = async (c: HubClient, reason = 'checking the gate at night') => (await c.json<{ id: string }>('POST', '/api/video/sessions', { cameraIds: [cameraId], reason })).id;
  const window = () => ({ from: new Date(Date.now() - 120_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });
  const q = (o: Record<string, string>) => new URLSearchParams(o).toString();

  it('admin and security watch within a session with a reason; operator and pilot are refused', async () => {
    const w = window();
    for (const role of ['operator', 'pilot']) {
      const c = await userWithRole(admin, `${role}1`, role);
      expect((await c.request('POST', '/api/video/sessions', { cameraIds: [cameraId], reason: 'just looking around' })).status).toBe(403);
      expect((await c.request('GET', `/api/video/cameras/${cameraId}/timeline?${q(w)}`)).status).toBe(403);
      expect((await c.request('GET', `/api/video/cameras/${cameraId}/playlist.m3u8?${q({ ...w, session: '0'.repeat(32) })}`)).status).toBe(403);
    }
    // No reason, a short one, five cameras, an unknown camera: refused with a sentence.
    expect((await officer.request('POST', '/api/video/sessions', { cameraIds: [cameraId] })).status).toBe(400);
    expect((await officer.request('POST', '/api/video/sessions', { cameraIds: [cameraId], reason: 'why' })).status).toBe(400);
    expect((await officer.request('POST', '/api/video/sessions', { cameraIds: ['a', 'b', 'c', 'd', 'e'], reason: 'a long enough reason' })).status).toBe(400);
    expect((await officer.request('POST', '/api/video/sessions', { cameraIds: ['nope'], reason: 'a long enough reason' })).status).toBe(404);

    const noSession = await officer.request('GET', `/api/video/cameras/${cameraId}/playlist.m3u8?${q(w)}`);
    expect(noSession.status).toBe(400); // the session parameter is required
    const bogus = await officer.request('GET', `/api/video/cameras/${cameraId}/playlist.m3u8?${q({ ...w, session: 'f'.repeat(32) })}`);
    expect(bogus.status).toBe(403);
    expect((bogus.body as { error: string }).error).toMatch(/viewing session/);
    // Someone else's session does not open the footage either.
    const adminSession = await session(admin);
    expect((await officer.request('GET', `/api/video/cameras/${cameraId}/playlist.m3u8?${q({ ...w, session: adminSession })}`)).status).toBe(403);
    expect((await officer.request('POST', `/api/video/sessions/${adminSession}/end`)).status).toBe(403);
    expect((await admin.request('GET', `/api/video/cameras/${cameraId}/playlist.m3u8?${q({ ...w, session: adminSession })}`)).status).toBe(200);
    expect((await admin.request('POST', `/api/video/sessions/${adminSession}/end`)).status).toBe(204);
    expect((await admin.request('POST', `/api/video/sessions/${adminSession}/end`)).status).toBe(404);
    expect((await admin.request('GET', `/api/video/cameras/${cameraId}/playlist.m3u8?${q({ ...w, session: adminSession })}`)).status).toBe(403);
  });

  it('the timeline shows recorded ranges and legal holds', async () => {
    const w = window();
    await officer.json('POST', `/api/cameras/${cameraId}/holds`, { from: new Date(Date.now() - 30_000).toISOString(), to: new Date(Date.now() - 20_000).toISOString(), reason: 'theft at the gate' });
    const t = await officer.json<Timeline>('GET', `/api/video/cameras/${cameraId}/timeline?${q(w)}`);
    expect(t.ranges.length).toBeGreaterThan(0);
    expect(t.holds.map((h) => h.reason)).toEqual(['theft at the gate']);
    expect(t.exports).toEqual([]);
    expect((await officer.request('GET', `/api/video/cameras/nope/timeline?${q(w)}`)).status).toBe(404);
  });

  it('serves an HLS playlist over the segment files whose byte ranges are the bytes on disk, and ffmpeg plays it through', async () => {
    const id = await session(officer);
    const w = window();
    const started = Date.now();
    const res = await officer.request('GET', `/api/video/cameras/${cameraId}/playlist.m3u8?${q({ ...w, session: id })}`);
    const playlistMs = Date.now() - started;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/mpegurl/);
    const lines = (res.body as string).trim().split('\n');
    const maps = lines.filter((l) => l.startsWith('#EXT-X-MAP:'));
    const files = [...new Set(lines.filter((l) => l.startsWith('/api/')))];
    expect(maps.length).toBe(files.length);
    expect(maps.length).toBeGreaterThanOrEqual(3);
    expect(lines.filter((l) => l === '#EXT-X-DISCONTINUITY')).toHaveLength(files.length - 1);
    const pdts = lines.filter((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:')).map((l) => Date.parse(l.slice(25)));
    expect(pdts.every((t, i) => i === 0 || t > pdts[i - 1]!)).toBe(true);

    // Each listed range, fetched as hls.js does, is exactly those bytes of the file at the site.
    const ranges: { uri: string; len: number; off: number }[] = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^#EXT-X-BYTERANGE:(\d+)@(\d+)$/.exec(lines[i]!);
      if (m) ranges.push({ uri: lines[i + 1]!, len: Number(m[1]), off: Number(m[2]) });
    }
    for (const r of ranges.slice(0, 3)) {
      const got = await fetch(new URL(r.uri, hub.url), { headers: { cookie: officer.cookie!, range: `bytes=${r.off}-${r.off + r.len - 1}` } });
      expect(got.status).toBe(206);
      const path = new URL(r.uri, hub.url).searchParams.get('path')!;
      expect(got.headers.get('content-range')).toMatch(new RegExp(`^bytes ${r.off}-${r.off + r.len - 1}/\\d+$`));
      const onDisk = readFileSync(join(agent.cameras.recordingsDir, path)).subarray(r.off, r.off + r.len);
      expect(Buffer.from(await got.arrayBuffer()).equals(onDisk)).toBe(true);
    }
    const media = new URL(ranges[0]!.uri, hub.url);
    const size = Number((await fetch(media, { headers: { cookie: officer.cookie!, range: 'bytes=0-0' } })).headers.get('content-range')!.split('/')[1]);
    const beyond = await fetch(media, { headers: { cookie: officer.cookie!, range: `bytes=${size}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
    const whole = await fetch(media, { headers: { cookie: officer.cookie! } });
    expect(whole.status).toBe(200);
    expect((await whole.arrayBuffer()).byteLength).toBe(size);
    // Paths outside the camera's indexed segments are refused, however they are written.
    const path = media.searchParams.get('path')!;
    for (const bad of [`${cameraId}/../${path}`, `${cameraId}/2020-01-01/20200101T000000Z.mp4`, '../../etc/passwd', `other/${path}`, `${cameraId}/${path.split('/')[1]}/../../x.mp4`]) {
      const u = new URL(media);
      u.searchParams.set('path', bad);
      expect((await fetch(u, { headers: { cookie: officer.cookie! } })).status, bad).toBe(404);
    }

    // Each file's init and parts, fetched through the hub and put together, decode to exactly the frames listed.
    const perFile = new Map<string, { init: string; parts: { len: number; off: number; s: number }[] }>();
    for (let i = 0; i < lines.length; i++) {
      const map = /^#EXT-X-MAP:URI="([^"]+)",BYTERANGE="(\d+)@(\d+)"$/.exec(lines[i]!);
      if (map) perFile.set(map[1]!, { init: `${map[3]}-${Number(map[3]) + Number(map[2]) - 1}`, parts: [] });
      const br = /^#EXT-X-BYTERANGE:(\d+)@(\d+)$/.exec(lines[i]!);
      if (br) perFile.get(lines[i + 1]!)!.parts.push({ len: Number(br[1]), off: Number(br[2]), s: Number(lines[i - 1]!.slice(8, -1)) });
    }
    for (const [uri, f] of perFile) {
      const get = async (range: string) => Buffer.from(await (await fetch(new URL(uri, hub.url), { headers: { cookie: officer.cookie!, range: `bytes=${range}` } })).arrayBuffer());
      const bytes = [await get(f.init), ...(await Promise.all(f.parts.map((p) => get(`${p.off}-${p.off + p.len - 1}`))))];
      const file = join(dir.path, 'joined.mp4');
      writeFileSync(file, Buffer.concat(bytes));
      const { stdout } = await run('/usr/bin/ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,nb_read_frames', '-of', 'csv=p=0', file]);
      const [width, height, frames] = stdout.trim().split(',').map(Number);
      expect([width, height]).toEqual([640, 360]);
      // A run's first frame can come with a shorter duration than 40 ms: one frame either way.
      expect(Math.abs(frames! - f.parts.reduce((n, p) => n + p.s, 0) * 25)).toBeLessThanOrEqual(1);
    }
    // The agent itself refuses what the hub would never ask: a path outside the camera's indexed files.
    const agentId = (await admin.json<{ agents: { id: string }[] }>('GET', '/api/fleet')).agents[0]!.id;
    for (const bad of ['../../etc/passwd', `${cameraId}/../../../etc/passwd`, `${cameraId}/2020-01-01/20200101T000000Z.mp4`]) {
      await expect(hub.media.open(agentId, 'segments.read', { cameraId, path: bad, offset: 0, length: 10 }).head, bad).rejects.toMatchObject({ code: 'not-found' });
    }
    // ffmpeg's own HLS reader takes the playlist too (it drops a few frames at each discontinuity, so no count here).
    const url = new URL(`/api/video/cameras/${cameraId}/playlist.m3u8?${q({ ...w, session: id })}`, hub.url).toString();
    const { stdout } = await run('/usr/bin/ffprobe', ['-v', 'error', '-headers', `Cookie: ${officer.cookie}\r\n`, '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', url]);
    expect(stdout.trim().split(/\s+/)[0]).toBe('h264,640,360');
    console.log(`playlist of ${ranges.length} parts in ${files.length} files built in ${playlistMs} ms`);
    await officer.json('POST', `/api/video/sessions/${id}/end`);
  });

  it('stills of the keyframe at or before a moment, cached by the agent; nothing where nothing is recorded', async () => {
    const id = await session(officer);
    const segs = await agent.cameras.index.all(cameraId);
    const at = new Date(Date.parse(segs[1]!.start) + 3000).toISOString();
    const t0 = Date.now();
    const first = await fetch(new URL(`/api/video/cameras/${cameraId}/still?${q({ at, session: id })}`, hub.url), { headers: { cookie: officer.cookie! } });
    const firstMs = Date.now() - t0;
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/jpeg');
    expect(first.headers.get('cache-control')).toMatch(/max-age/);
    const taken = Date.parse(first.headers.get('x-taken-at')!);
    expect(taken).toBeLessThanOrEqual(Date.parse(at));
    expect(Date.parse(at) - taken).toBeLessThan(2100); // a 2 s GOP
    const jpeg = Buffer.from(await first.arrayBuffer());
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    const t1 = Date.now();
    const again = await fetch(new URL(`/api/video/cameras/${cameraId}/still?${q({ at: new Date(taken + 100).toISOString(), session: id })}`, hub.url), { headers: { cookie: officer.cookie! } });
    const againMs = Date.now() - t1;
    expect(Buffer.from(await again.arrayBuffer()).equals(jpeg)).toBe(true);
    console.log(`still: ${firstMs} ms decoded, ${againMs} ms from the agent's cache`);
    const none = await officer.request('GET', `/api/video/cameras/${cameraId}/still?${q({ at: '2020-01-01T00:00:00.000Z', session: id })}`);
    expect(none.status).toBe(404);
    expect((none.body as { error: string }).error).toMatch(/nothing .* recorded/);
    await officer.json('POST', `/api/video/sessions/${id}/end`);
  });

  it('audits a recorded session: its start with the reason, and its end with the footage time fetched', async () => {
    const id = await session(officer, 'incident 7 at the gate');
    const segs = await agent.cameras.index.all(cameraId);
    const from = Date.parse(segs[0]!.start) + 500;
    const to = Date.parse(segs[1]!.end) - 500;
    const list = (await officer.request('GET', `/api/video/cameras/${cameraId}/playlist.m3u8?${q({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), session: id })}`)).body as string;
    const lines = list.trim().split('\n');
    const i = lines.findIndex((l) => l.startsWith('#EXT-X-BYTERANGE:'));
    const [len, off] = lines[i]!.slice(17).split('@').map(Number) as [number, number];
    const partStart = Date.parse(lines[i - 2]!.slice(25));
    const partS = Number(lines[i - 1]!.slice(8, -1));
    expect((await fetch(new URL(lines[i + 1]!, hub.url), { headers: { cookie: officer.cookie!, range: `bytes=${off}-${off + len - 1}` } })).status).toBe(206);
    await officer.json('POST', `/api/video/sessions/${id}/end`);
    const audit = await admin.json<{ entries: { actor: string; action: string; target: string; reason?: string; details: Record<string, unknown> }[] }>('GET', '/api/audit?action=video.view');
    const ended = audit.entries.find((e) => e.action === 'video.view' && e.details.session === id)!;
    expect(ended).toMatchObject({ actor: 'officer', target: cameraId, reason: 'incident 7 at the gate', details: { kind: 'recorded', cameras: [cameraId] } });
    expect(ended.details.watchedFrom).toBe(new Date(partStart).toISOString());
    expect(Date.parse(ended.details.watchedTo as string)).toBeCloseTo(partStart + partS * 1000, -1);
    const startedEntries = await admin.json<{ entries: { action: string; details: Record<string, unknown>; reason?: string }[] }>('GET', '/api/audit?action=video.view.start');
    expect(startedEntries.entries.find((e) => e.action === 'video.view.start' && e.details.session === id)).toMatchObject({ reason: 'incident 7 at the gate', details: { kind: 'recorded' } });
  });
});
