// Live view in a real browser (Debian's chromium): the camera page and a 4-tile grid decode frames
// from simulated cameras through a real agent and hub; a camera stopped and started again while
// watched plays again by itself; a pilot is shown no live view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import type { HubClient } from '../support/hub-client';
import { userWithRole } from '../support/in-process';
import { waitFor } from '../support/wait';
import { liveSite, type LiveSite } from './live-fixture';

/** Frames the video element decoded, summed across resets (a new MediaSource starts its count at 0). */
function frameMeter(video: Locator): () => Promise<number> {
  let base = 0;
  let last = 0;
  return async () => {
    const n = await video.evaluate((v: HTMLVideoElement) => v.getVideoPlaybackQuality().totalVideoFrames);
    if (n < last) base += last;
    last = n;
    return base + n;
  };
}

/** Waits until the meter has counted `more` frames beyond where it stands now. */
async function framesRise(what: string, meter: () => Promise<number>, more: number, timeoutMs = 20_000): Promise<void> {
  const from = await meter();
  await waitFor(`${what}: ${more} more decoded frames`, async () => (await meter()) >= from + more, timeoutMs, 100);
}

describe('live view in the browser', () => {
  let site: LiveSite;
  let context: BrowserContext;
  let page: Page;
  let closeBrowser: () => Promise<void>;
  let pilot: HubClient;
  let security: HubClient;

  const signInAs = async (client: HubClient) => {
    await page.goto('about:blank');
    await context.clearCookies();
    const [name, value] = client.cookie!.split('=') as [string, string];
    await context.addCookies([{ name, value, url: site.hub.url }]);
  };

  beforeAll(async () => {
    site = await liveSite(4, 'Depot');
    pilot = await userWithRole(site.admin, 'pilot1', 'pilot');
    security = await userWithRole(site.admin, 'guard1', 'security');
    const b = await launchChromium();
    closeBrowser = b.close;
    context = b.context;
    page = await context.newPage();
  });
  afterAll(async () => {
    await closeBrowser?.();
    await site?.close();
  });

  it('plays the main stream on the camera page, and the sub-stream when switched', async () => {
    await signInAs(site.admin);
    const { id } = site.cameras[0]!;
    await page.goto(`${site.hub.url}/#/cameras/${id}`);
    const panel = page.locator('[data-testid=live-panel]');
    const video = panel.locator('video');
    const meter = frameMeter(video);
    await framesRise('camera page', meter, 25);
    await expect.poll(() => panel.locator('.live-player').getAttribute('data-state')).toBe('playing');
    expect(await video.evaluate((v: HTMLVideoElement) => [v.videoWidth, v.videoHeight])).toEqual([640, 360]);
    // Close to the live edge: never more than a second behind the newest frame.
    const behind = await video.evaluate((v: HTMLVideoElement) => v.buffered.end(v.buffered.length - 1) - v.currentTime);
    expect(behind).toBeLessThan(1.1);

    await panel.locator('input[value=sub]').check();
    await waitFor('sub-stream size', async () => (await video.evaluate((v: HTMLVideoElement) => v.videoWidth)) === 320, 20_000, 100);
    await framesRise('sub-stream', meter, 25);
  });

  it('plays every tile of a 4-tile grid of a site', async () => {
    await page.goto(`${site.hub.url}/#/grid?site=${site.siteId}`);
    const tiles = page.locator('[data-testid=live-grid] .live-tile[data-camera]');
    await expect.poll(() => tiles.count()).toBe(4);
    expect(new Set(await tiles.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.camera)))).toEqual(new Set(site.cameras.map((c) => c.id)));
    const meters = Array.from({ length: 4 }, (_, i) => frameMeter(tiles.nth(i).locator('video')));
    await Promise.all(meters.map((m, i) => framesRise(`tile ${i + 1}`, m, 25, 30_000)));
    for (let i = 0; i < 4; i++) expect(await tiles.nth(i).locator('video').evaluate((v: HTMLVideoElement) => v.videoWidth)).toBe(320);

    // Saved as a layout, the grid comes back from the hub by name.
    await page.fill('form.live-save [name=name]', 'Depot all');
    await page.click('form.live-save button[type=submit]');
    await expect.poll(() => page.textContent('.live-toolbar [role=status]')).toMatch(/Saved layout "Depot all"/);
    await page.goto(`${site.hub.url}/#/grid?layout=${encodeURIComponent('Depot all')}`);
    await page.reload();
    await expect.poll(() => page.locator('[data-testid=live-grid] .live-tile[data-camera]').count()).toBe(4);

    // A click on a tile opens that camera's page.
    const first = await tiles.first().getAttribute('data-camera');
    await tiles.first().locator('video').click();
    await expect.poll(() => page.url()).toContain(`#/cameras/${first}`);
  });

  it('grid tiles out of sight disconnect after 5 s and play again when seen', async () => {
    await page.goto(`${site.hub.url}/#/grid?site=${site.siteId}`);
    const players = page.locator('[data-testid=live-grid] .live-tile[data-camera] .live-player');
    await expect.poll(() => players.count()).toBe(4);
    await expect.poll(async () => (await players.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.state))).join(), { timeout: 20_000 }).toBe('playing,playing,playing,playing');
    // Only the top row stays on screen.
    await page.setViewportSize({ width: 1280, height: 330 });
    const hiddenAt = Date.now();
    await expect.poll(() => players.nth(3).getAttribute('data-state'), { timeout: 15_000 }).toBe('paused');
    expect(Date.now() - hiddenAt).toBeGreaterThanOrEqual(4500);
    expect(await players.nth(2).getAttribute('data-state')).toBe('paused');
    expect(await players.nth(0).getAttribute('data-state')).toBe('playing');
    await page.setViewportSize({ width: 1280, height: 720 });
    await expect.poll(() => players.nth(3).getAttribute('data-state'), { timeout: 15_000 }).toBe('playing');
    await framesRise('tile 4 seen again', frameMeter(players.nth(3).locator('video')), 10);
  });

  it('a camera stopped and started again while watched plays again by itself', async () => {
    const { id, cam } = site.cameras[1]!;
    await page.goto(`${site.hub.url}/#/cameras/${id}`);
    const player = page.locator('[data-testid=live-panel] .live-player');
    const meter = frameMeter(player.locator('video'));
    await framesRise('before the restart', meter, 10);
    await cam.stopStream();
    await expect.poll(() => player.getAttribute('data-state'), { timeout: 15_000 }).toBe('offline');
    await expect.poll(() => player.locator('.live-state').textContent()).toMatch(/Camera offline/);
    await cam.startStream();
    await expect.poll(() => player.getAttribute('data-state'), { timeout: 30_000 }).toBe('playing');
    await framesRise('after the restart', meter, 25);
  });

  it('the player reconnects by itself when the hub drops its socket', async () => {
    const { id } = site.cameras[3]!;
    await page.goto(`${site.hub.url}/#/cameras/${id}`);
    const player = page.locator('[data-testid=live-panel] .live-player');
    const meter = frameMeter(player.locator('video'));
    await framesRise('before the drop', meter, 10);
    // Every browser socket the hub holds, the live one among them, cut as a hub restart would.
    for (const ws of site.hub.app.websocketServer.clients) ws.terminate();
    await expect.poll(() => player.getAttribute('data-state'), { timeout: 5000, interval: 20 }).not.toBe('playing');
    await expect.poll(() => player.getAttribute('data-state'), { timeout: 15_000 }).toBe('playing');
    await framesRise('after the drop', meter, 25);
  });

  it('security staff see the live panel; a pilot is shown none and has no Live page', async () => {
    const { id } = site.cameras[2]!;
    await signInAs(security);
    await page.goto(`${site.hub.url}/#/cameras/${id}`);
    await framesRise('security', frameMeter(page.locator('[data-testid=live-panel] video')), 10);

    await signInAs(pilot);
    await page.goto(`${site.hub.url}/#/cameras/${id}`);
    await expect.poll(() => page.locator('h2').first().textContent()).not.toBe('');
    await expect.poll(() => page.locator('#nav a').allTextContents()).toContain('Flights');
    expect(await page.locator('[data-testid=live-panel]').count()).toBe(0);
    expect(await page.locator('video').count()).toBe(0);
    expect(await page.locator('#nav a').allTextContents()).not.toContain('Live');
  });
});
