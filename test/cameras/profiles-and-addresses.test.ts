// End to end, with a real hub, agent, browser and RTSP: the agent records the profile it should
// (main, or the one an operator chose) from a camera that reports a stream host nobody reaches,
// and the camera's password shows up in no log, no API answer and no console page.
import { join } from 'node:path';
import type { Agent } from '@sargs/agent';
import type { RunningHub } from '@sargs/hub';
import type { CameraView } from '@sargs/shared';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { run } from '@sargs/sim/camera/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import type { HubClient } from '../support/hub-client';
import { ADMIN_PASSWORD, hubWithAdmin, testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

const NAT_PASSWORD = 'n4t-camera p@ss/word';
const GRID_PASSWORD = 'gr1d:camera&secret';

describe('camera profiles and stream addresses, end to end', () => {
  const hubDir = tempDir('hub');
  const agentDir = tempDir('agent');
  let hub: RunningHub;
  let hubLogs: Record<string, unknown>[];
  let admin: HubClient;
  let agent: Agent;
  let agentLogs: Record<string, unknown>[];
  let siteId: string;
  /** Reports 0.0.0.0 in its GetStreamUri and GetSnapshotUri answers, like a camera behind NAT. */
  let nat: SimulatedCamera;
  let grid: SimulatedCamera;
  const answers: string[] = [];

  beforeAll(async () => {
    ({ hub, admin, logs: hubLogs } = await hubWithAdmin(hubDir.path));
    const site = await admin.createSite('NAT parish');
    siteId = site.site.id;
    ({ agent, logs: agentLogs } = await testAgent(hub.url, site.enrolmentToken, agentDir.path, { recordings: { segmentSeconds: 2 } }));
    [nat, grid] = await Promise.all([
      SimulatedCamera.start({ name: 'Depot', username: 'admin', password: NAT_PASSWORD, reportedHost: '0.0.0.0' }),
      SimulatedCamera.start({ name: 'Hall', username: 'admin', password: GRID_PASSWORD }),
    ]);
    await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
  });
  afterAll(async () => {
    await agent?.stop();
    await Promise.all([nat?.stop(), grid?.stop()]);
    await hub?.close();
    hubDir.remove();
    agentDir.remove();
  });

  /** Every answer the hub's API gave is kept, to look for the passwords in at the end. */
  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const r = await admin.request(method, path, body);
    answers.push(`${method} ${path} → ${r.status} ${typeof r.body === 'string' ? r.body : JSON.stringify(r.body)}`);
    return r as { status: number; body: T };
  };
  const cameraView = async (id: string): Promise<CameraView | undefined> =>
    (await api<CameraView[]>('GET', `/api/cameras?siteId=${siteId}`)).body.find((c) => c.info.id === id);
  /** The frame size of the newest segment the agent recorded for a camera. */
  const recordedSize = async (cameraId: string) => {
    const segs = await waitFor(`a recorded segment of ${cameraId}`, async () => {
      const s = await agent.cameras.index.list(cameraId, new Date(Date.now() - 3600_000).toISOString(), new Date(Date.now() + 60_000).toISOString());
      return s.length ? s : undefined;
    }, 30_000);
    const probe = await run('/usr/bin/ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height',
      '-of', 'json', join(agent.cameras.recordingsDir, segs.at(-1)!.path)]);
    const stream = (JSON.parse(probe.stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0];
    return { codec: stream?.codec_name, width: stream?.width, height: stream?.height };
  };
  let natId: string;
  let gridId: string;

  it('a camera reporting 0.0.0.0: the agent records from the host it reached, and tells the hub both addresses', async () => {
    const added = await api<CameraView['info']>('POST', `/api/sites/${siteId}/cameras`, { url: nat.deviceServiceUrl, username: 'admin', password: NAT_PASSWORD });
    expect(added.status).toBe(201);
    natId = added.body.id;
    const main = {
      token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 640, height: 360, fps: 25, bitrate: 800,
      streamUri: nat.rtspUrl, reportedStreamUri: `rtsp://0.0.0.0:${nat.rtspPort}/stream`,
      snapshotUri: nat.snapshotUrl, reportedSnapshotUri: `http://0.0.0.0:${nat.onvifPort}/onvif/snapshot.jpg`,
    };
    expect(added.body).toMatchObject({ mainProfileToken: 'Profile_1', subProfileToken: 'Profile_2', width: 640, height: 360, serialNumber: nat.state.serialNumber });
    expect(added.body.profiles).toEqual([main, expect.objectContaining({ token: 'Profile_2', width: 320, height: 180, streamUri: nat.subRtspUrl, reportedStreamUri: `rtsp://0.0.0.0:${nat.rtspPort}/sub` })]);

    await waitFor('the camera online at the hub', async () => (await cameraView(natId))?.health.state === 'online', 30_000);
    expect((await cameraView(natId))?.info.profiles?.[0]).toEqual(main);
    expect(await recordedSize(natId)).toEqual({ codec: 'h264', width: 640, height: 360 });
    // The camera's own JPEG, from the rewritten snapshot address (not a frame grabbed over RTSP instead).
    const snap = await admin.request('GET', `/api/cameras/${natId}/snapshot`);
    expect(snap.status).toBe(200);
    const own = await (await fetch(nat.snapshotUrl)).text();
    expect(snap.body).toBe(own);
  });

  it('an operator\'s choice of the sub-stream is recorded, over real RTSP; a profile the camera lacks is a 400 naming the ones it has', async () => {
    const wrong = await api<{ error: string }>('POST', `/api/sites/${siteId}/cameras`, { url: grid.deviceServiceUrl, username: 'admin', password: GRID_PASSWORD, profileToken: 'Profile_9' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe(`camera at 127.0.0.1:${grid.onvifPort} has no profile "Profile_9"; its H.264 profiles are "Profile_1" (640x360), "Profile_2" (320x180)`);

    const added = await api<CameraView['info']>('POST', `/api/sites/${siteId}/cameras`, { url: grid.deviceServiceUrl, username: 'admin', password: GRID_PASSWORD, profileToken: 'Profile_2' });
    expect(added.status).toBe(201);
    gridId = added.body.id;
    expect(added.body).toMatchObject({ mainProfileToken: 'Profile_2', subProfileToken: 'Profile_2', encoding: 'H264', width: 320, height: 180 });
    expect(added.body.profiles?.map((p) => [p.token, p.streamUri, p.reportedStreamUri])).toEqual([
      ['Profile_1', grid.rtspUrl, undefined], ['Profile_2', grid.subRtspUrl, undefined],
    ]);
    await waitFor('the second camera online', async () => (await cameraView(gridId))?.health.state === 'online', 30_000);
    expect(await recordedSize(gridId)).toEqual({ codec: 'h264', width: 320, height: 180 });
  });

  it('the camera page shows the address used and the one the camera reports, and every profile', async () => {
    const b = await launchChromium();
    try {
      const page = await b.context.newPage();
      await page.goto(hub.url);
      await page.fill('#sign-in [name=username]', 'admin');
      await page.fill('#sign-in [name=password]', ADMIN_PASSWORD);
      await page.click('#sign-in button');
      await page.locator(`tr[data-camera="${natId}"] a`).click();
      await expect.poll(() => page.textContent('[data-testid=stream-address]'))
        .toBe(`Stream: ${nat.rtspUrl} (the camera reports rtsp://0.0.0.0:${nat.rtspPort}/stream)`);
      expect(await page.textContent('[data-testid=snapshot-address]'))
        .toBe(`Snapshot: ${nat.snapshotUrl} (the camera reports http://0.0.0.0:${nat.onvifPort}/onvif/snapshot.jpg)`);
      const rows = await page.locator('[data-testid=profiles] tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
      expect(rows).toEqual([
        ['Profile_1', 'mainStream', 'H264', '640×360', '25 fps', '800 kbit/s', 'recorded'],
        ['Profile_2', 'subStream', 'H264', '320×180', '25 fps', '200 kbit/s', 'live grids'],
      ]);
      const natPage = await page.content();

      await page.goto(`${hub.url}/#/cameras/${gridId}`);
      await expect.poll(() => page.textContent('[data-testid=stream-address]')).toBe(`Stream: ${grid.subRtspUrl}`);
      const gridPage = await page.content();
      for (const html of [natPage, gridPage]) {
        expect(html).not.toContain(NAT_PASSWORD);
        expect(html).not.toContain(GRID_PASSWORD);
        expect(html).not.toContain(encodeURIComponent(NAT_PASSWORD));
      }
    } finally {
      await b.close();
    }
  });

  it('no camera password in the agent\'s or the hub\'s log, nor in any API answer, also after ffmpeg failed on the stream', async () => {
    // A stream that goes away, and then refuses the next connection, makes ffmpeg print the URL it
    // was given (credentials in it) on stderr, which the agent logs and reports as the reason.
    await nat.stopStream();
    await waitFor('the camera offline', async () => (await cameraView(natId))?.health.state === 'offline', 30_000);
    await waitFor('ffmpeg refused in the log', () => agentLogs.some((l) => l.msg === 'ffmpeg exited' && l.cameraId === natId && l.reason === 'unreachable') || undefined, 15_000);
    await cameraView(natId);
    await nat.startStream();
    await waitFor('the camera online again', async () => (await cameraView(natId))?.health.state === 'online', 60_000);
    await api('GET', '/api/fleet');

    // The recorder did hand ffmpeg the credentials (or nothing would have been recorded): they were added at its start only.
    expect(agentLogs.some((l) => l.msg === 'starting ffmpeg' && JSON.stringify(l.args).includes('admin:***@127.0.0.1'))).toBe(true);
    // ...and ffmpeg repeated that URL in its complaint, which the log keeps without them.
    expect(agentLogs.some((l) => l.msg === 'ffmpeg exited' && /rtsp:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/stream: Connection refused/.test(String(l.detail)))).toBe(true);
    const logs = JSON.stringify([...agentLogs, ...hubLogs]);
    const seen = answers.join('\n');
    expect(answers.length).toBeGreaterThan(8);
    for (const pw of [NAT_PASSWORD, GRID_PASSWORD]) {
      for (const form of [pw, encodeURIComponent(pw), JSON.stringify(pw).slice(1, -1)]) {
        expect(logs).not.toContain(form);
        expect(seen).not.toContain(form);
      }
    }
  });
});
