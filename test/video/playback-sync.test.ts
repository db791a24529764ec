// The sync page in chromium: two cameras of one site, one timeline and one set of controls; the
// players stay within 0.3 s of each other's wall-clock time, pause and change speed together.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import type { RunningHub } from '@sargs/hub';
import type { Page } from 'playwright-core';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { launchChromium } from '../support/browser';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

describe('recorded playback of several cameras in step', () => {
  const dir = tempDir('playback-sync');
  let hub: RunningHub;
  let admin: HubClient;
  let agent: Agent;
  const cams: SimulatedCamera[] = [];
  const ids: string[] = [];
  let page: Page;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(`${dir.path}/hub`));
    const site = await admin.createSite('Two gates');
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, `${dir.path}/agent`, { recordings: { segmentSeconds: 4 } }));
    await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
    for (const name of ['North', 'South']) {
      const cam = await SimulatedCamera.start({ name, username: 'admin', password: `${name}-secret` });
      cams.push(cam);
      ids.push((await admin.json<{ id: string }>('POST', `/api/sites/${site.site.id}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: `${name}-secret`, name })).id);
    }
    const b = await launchChromium();
    closeBrowser = b.close;
    page = await b.context.newPage();
    const [name, value] = admin.cookie!.split('=') as [string, string];
    await b.context.addCookies([{ name, value, url: hub.url }]);
    await waitFor('three segments of each camera', async () => (await Promise.all(ids.map((id) => agent.cameras.index.all(id)))).every((s) => s.length >= 3), 45_000, 200);
  });
  afterAll(async () => {
    await closeBrowser?.();
    await agent?.stop();
    for (const c of cams) await c.stop();
    await hub?.close();
    dir.remove();
  });

  const walls = () => page.evaluate(`[...document.querySelectorAll('[data-testid=sync-grid] .pb-player')].map((p) => p.dataset.wall ? Number(p.dataset.wall) : null)`) as Promise<(number | null)[]>;
  const videos = (prop: 'paused' | 'playbackRate') => page.evaluate(`[...document.querySelectorAll('[data-testid=sync-grid] video')].map((v) => v.${prop})`) as Promise<unknown[]>;

  it('plays two cameras from one moment and keeps them within 0.3 s; pause and speed apply to both', async () => {
    await page.goto(`${hub.url}/#/playback?cameras=${ids.join(',')}`);
    await expect.poll(() => page.locator('[data-testid=sync-grid] .pb-player').count()).toBe(2);
    await expect.poll(() => page.locator('[data-testid=playback-timeline] .pb-row').count()).toBe(2);
    const segs = await agent.cameras.index.all(ids[0]!);
    const T = Math.ceil((Date.parse(segs[1]!.start) + 500) / 1000) * 1000;
    const local = await page.evaluate(`new Date(${T} - new Date(${T}).getTimezoneOffset() * 60000).toISOString().slice(0, 19)`) as string;
    await page.locator('form.pb-jump input').fill(local);
    await page.locator('form.pb-jump button').click();
    await page.locator('[data-testid=playback-reason] input').fill('comparing both gates');
    await page.locator('[data-testid=playback-reason] button[type=submit]').click();
    await waitFor('both cameras playing', async () => (await walls()).every((w) => w !== null && w > T + 1000), 20_000, 50);
    const offsets: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [a, b] = await walls();
      offsets.push(Math.abs(a! - b!));
      await page.waitForFunction('new Promise((r) => requestAnimationFrame(() => r(true)))');
    }
    expect(Math.max(...offsets)).toBeLessThanOrEqual(300 + 40);
    await page.locator('[data-rate="2"]').click();
    expect(await videos('playbackRate')).toEqual([2, 2]);
    await page.locator('[data-testid=playback-play]').click();
    await expect.poll(() => videos('paused')).toEqual([true, true]);
    console.log(`two cameras in step: wall-clock offset between their pictures ${Math.min(...offsets)}..${Math.max(...offsets)} ms`);
    // Leaving the page ends the one session covering both cameras.
    await page.goto(`${hub.url}/#/`);
    const ended = await waitFor('video.view entry', async () => {
      const r = await admin.json<{ entries: { action: string; details: Record<string, unknown> }[] }>('GET', '/api/audit?action=video.view');
      return r.entries.find((e) => e.action === 'video.view' && e.details.kind === 'recorded');
    }, 10_000, 200);
    expect(ended.details.cameras).toEqual(ids);
  });

  it('a camera the hub does not know brings back the choice, with a sentence', async () => {
    await page.goto(`${hub.url}/#/playback?cameras=${ids[0]},nope`);
    await expect.poll(() => page.locator('form.pb-pick').textContent()).toMatch(/No camera "nope"/);
    await page.locator(`form.pb-pick input[value="${ids[1]}"]`).check();
    await page.locator('form.pb-pick button').click();
    await expect.poll(() => page.locator('[data-testid=sync-grid] .pb-player').count()).toBe(1);
  });
});
