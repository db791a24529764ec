// Live view at the hub with a real agent and simulated cameras, watched by plain WebSocket clients
// carrying a user's session cookie: one upstream RTSP session however many watch, closed a few
// seconds after the last leaves while the recorder records on; who may watch; what the audit keeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubClient } from '../support/hub-client';
import { userWithRole } from '../support/in-process';
import { waitFor } from '../support/wait';
import { LiveSocket, liveSite, rtspSessions, type LiveSite } from './live-fixture';

describe('live view through the hub', () => {
  let site: LiveSite;
  let cameraId: string;
  let port: number;
  const users: Record<string, HubClient> = {};

  beforeAll(async () => {
    site = await liveSite(1, 'Gate');
    cameraId = site.cameras[0]!.id;
    port = site.cameras[0]!.cam.rtspPort;
    for (const role of ['operator', 'security', 'pilot']) users[role] = await userWithRole(site.admin, `${role}1`, role);
    users.admin = site.admin;
  });
  afterAll(async () => { await site?.close(); });

  it('ten viewers of one camera make ONE extra RTSP session, closed within seconds after the last leaves; recording goes on', async () => {
    const recorder = site.agent.cameras.runtime(cameraId)!.recorder;
    const recorderPid = recorder.ffmpegPid;
    expect(recorderPid).toBeDefined();
    await waitFor('the recorder alone at the camera', () => rtspSessions(port) === 1, 10_000);
    let segments = 0;
    const onSegment = () => { segments++; };
    recorder.on('segment', onSegment);

    const viewers = Array.from({ length: 10 }, () => new LiveSocket(site.hub.url, site.admin.cookie, `cameraId=${cameraId}&stream=main`));
    await waitFor('every viewer has video', () => viewers.every((v) => v.fragments >= 10), 20_000);
    expect(rtspSessions(port)).toBe(2);
    for (const v of viewers) {
      expect(v.texts.find((t) => t.type === 'stream')).toMatchObject({ codec: expect.stringMatching(/^avc1\.[0-9a-f]{6}$/), width: 640, height: 360 });
      expect(v.binaries[0]!.toString('latin1', 4, 8)).toBe('ftyp');
      expect(v.binaries[1]!.toString('latin1', 4, 8)).toBe('moof');
      expect(v.texts.some((t) => t.type === 'state' && t.state === 'playing')).toBe(true);
    }

    // A viewer arriving late starts at once, from the kept GOP.
    const late = new LiveSocket(site.hub.url, site.admin.cookie, `cameraId=${cameraId}&stream=main`);
    const t0 = Date.now();
    await waitFor('late viewer has video', () => late.fragments >= 1, 5000, 10);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(rtspSessions(port)).toBe(2);

    for (const v of [...viewers, late]) v.close();
    const leftAt = Date.now();
    await waitFor('the live session closed at the camera', () => rtspSessions(port) === 1, 15_000, 100);
    const closedAfter = Date.now() - leftAt;
    expect(closedAfter).toBeGreaterThanOrEqual(4000);
    expect(closedAfter).toBeLessThan(10_000);
    // Recording went on the whole time, with the same ffmpeg.
    await waitFor('a segment after the viewers left', () => segments >= 3, 15_000);
    recorder.off('segment', onSegment);
    expect(recorder.ffmpegPid).toBe(recorderPid);
    expect(recorder.state).toBe('recording');
  });

  it('a viewer coming back within the linger time keeps the same upstream session', async () => {
    const first = new LiveSocket(site.hub.url, site.admin.cookie, `cameraId=${cameraId}&stream=sub`);
    await waitFor('sub-stream video', () => first.fragments >= 5, 20_000);
    expect(first.texts.find((t) => t.type === 'stream')).toMatchObject({ width: 320, height: 180 });
    const sessions = rtspSessions(port);
    expect(sessions).toBe(2);
    first.close();
    await waitFor('first viewer gone', () => first.closed !== undefined, 5000);
    const again = new LiveSocket(site.hub.url, site.admin.cookie, `cameraId=${cameraId}&stream=sub`);
    await waitFor('video again', () => again.fragments >= 5, 5000);
    expect(rtspSessions(port)).toBe(2);
    again.close();
    await waitFor('the live session closed at the camera', () => rtspSessions(port) === 1, 15_000, 100);
  });

  it("the agent's media link dropping is told to viewers, and video resumes as soon as the link is back, not after the backoff", async () => {
    const v = new LiveSocket(site.hub.url, site.admin.cookie, `cameraId=${cameraId}&stream=sub`);
    await waitFor('video', () => v.fragments >= 5, 20_000);
    await site.agent.media.stop();
    await waitFor('viewer told', () => v.texts.some((t) => t.type === 'state' && t.state === 'offline' && /media link/.test(String(t.reason))), 10_000);
    // The channel has failed to reopen twice and now waits 5 s before its next try.
    await waitFor('a 5 s backoff', () => site.hubLogs.some((l) => l.msg === 'live stream unavailable; retrying' && l.retryInMs === 5000), 10_000);
    const before = v.fragments;
    const back = Date.now();
    site.agent.media.start();
    await waitFor('video again', () => v.fragments >= before + 5, 10_000, 20);
    expect(Date.now() - back).toBeLessThan(4000);
    expect(v.texts.filter((t) => t.type === 'state').at(-1)).toEqual({ type: 'state', state: 'playing' });
    v.close();
  });

  it('no log line of the hub or the agent holds a camera password', () => {
    const started = site.agentLogs.find((l) => l.msg === 'starting live ffmpeg');
    expect(JSON.stringify(started?.args)).toMatch(/rtsp:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\//);
    expect(JSON.stringify([...site.hubLogs, ...site.agentLogs])).not.toContain('secret-0');
  });

  it('admin, operator and security may open the live socket; a pilot gets 403, a stranger 401, an unknown camera 404, a plain GET 426', async () => {
    for (const role of ['admin', 'operator', 'security']) {
      expect(await LiveSocket.status(site.hub.url, users[role]!.cookie, `cameraId=${cameraId}&stream=sub`), role).toBe(101);
    }
    expect(await LiveSocket.status(site.hub.url, users.pilot!.cookie, `cameraId=${cameraId}&stream=sub`)).toBe(403);
    expect(await LiveSocket.status(site.hub.url, undefined, `cameraId=${cameraId}`)).toBe(401);
    expect(await LiveSocket.status(site.hub.url, site.admin.cookie, 'cameraId=no-such-camera')).toBe(404);
    expect(await LiveSocket.status(site.hub.url, site.admin.cookie, `cameraId=${cameraId}&stream=huge`)).toBe(400);
    // Without the upgrade: told it is a WebSocket.
    expect((await site.admin.request('GET', `/api/video/live?cameraId=${cameraId}`)).status).toBe(426);
  });

  it('a live viewing session is audited when it starts and when it ends, with the camera, kind and duration', async () => {
    const officer = users.security!;
    const v = new LiveSocket(site.hub.url, officer.cookie, `cameraId=${cameraId}&stream=sub`);
    // A second of live frames after whatever GOP the hub kept for a newcomer (a burst).
    const burst = await waitFor('video', () => v.fragments || undefined, 20_000);
    await waitFor('a second of video', () => v.fragments >= burst + 25, 20_000);
    v.close();
    type Entry = { actor: string; action: string; target: string; details: { session: string; kind: string; cameras: string[]; durationS?: number } };
    // The action filter matches by prefix.
    const list = async (action: string) => (await site.admin.json<{ entries: Entry[] }>('GET', `/api/audit?action=${action}&actor=security1`)).entries.filter((e) => e.action === action);
    // This viewer's session: the one that watched for a second or more (the role test's were instants).
    const end = await waitFor('the end entry', async () => (await list('video.view')).find((e) => (e.details.durationS ?? 0) >= 0.5), 10_000);
    const start = (await list('video.view.start')).find((e) => e.details.session === end.details.session);
    expect(start).toMatchObject({ actor: 'security1', action: 'video.view.start', target: cameraId, details: { kind: 'live', cameras: [cameraId] } });
    expect(end).toMatchObject({ actor: 'security1', action: 'video.view', target: cameraId, details: { session: start!.details.session, kind: 'live', cameras: [cameraId] } });
    expect(end.details.durationS).toBeLessThan(30);
  });

  it('layouts are kept per user in the hub', async () => {
    const op = users.operator!;
    expect(await op.json('GET', '/api/video/layouts')).toEqual({ layouts: [] });
    const layouts = { layouts: [{ name: 'Gate', size: 4, tiles: [cameraId, null, null, null] }] };
    expect(await op.json('PUT', '/api/video/layouts', layouts)).toEqual(layouts);
    expect(await op.json('GET', '/api/video/layouts')).toEqual(layouts);
    expect(await site.admin.json('GET', '/api/video/layouts')).toEqual({ layouts: [] });
    expect((await op.request('PUT', '/api/video/layouts', { layouts: [{ name: 'x', size: 1, tiles: [cameraId, cameraId] }] })).status).toBe(400);
    expect((await users.pilot!.request('GET', '/api/video/layouts')).status).toBe(403);
  });
});
