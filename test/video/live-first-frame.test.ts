// Click to first frame of a live view nobody watches (cold): the camera page in chromium, a clock
// camera (GOP 2 s) through a real agent and hub. The agent asks the camera for a keyframe
// (SetSynchronizationPoint) as soon as its live ffmpeg plays, so the picture need not wait out the
// GOP: about 0.5 s on loopback for the agent's first live view, 0.3 s for the next (a parked ffmpeg,
// live-pool.ts), where waiting for the camera's own keyframe took 0.6-2.6 s. The times are printed,
// not asserted (a loaded CI machine stretches them): the figure's goal lives in
// test/bench/live-view.ts --parts click.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchSignedIn } from '../support/browser';
import { liveSite, type LiveSite } from './live-fixture';

describe('live view, cold start', () => {
  let site: LiveSite;
  let page: Page;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    site = await liveSite(1, 'Cold', { clock: true });
    ({ page, close: closeBrowser } = await launchSignedIn(site.admin.cookie!, site.hub.url));
  });
  afterAll(async () => {
    await closeBrowser?.();
    await site?.close();
  });

  it('shows the first frame well within the GOP after the click, the camera having been asked for a keyframe', async () => {
    const { cam, id } = site.cameras[0]!;
    const link = `a[href="#/cameras/${id}"]`;
    for (let i = 0; i < 2; i++) {
      // Leave the camera page, and let the hub's channel linger out (5 s) before the next try.
      if (i > 0) await new Promise((r) => setTimeout(r, 6500));
      await page.goto(`${site.hub.url}/#/`);
      await page.waitForSelector(link);
      const asked = cam.syncPoints.length;
      const logged = site.agentLogs.length;
      const ms = await page.evaluate(`(async () => {
        const t0 = performance.now();
        document.querySelector('${link}').click();
        let v;
        while (!(v = document.querySelector('[data-testid="live-video"]'))) await new Promise((r) => setTimeout(r, 5));
        return await new Promise((r) => v.requestVideoFrameCallback((_n, meta) => r(meta.presentationTime - t0)));
      })()`) as number;
      const agent = site.agentLogs.slice(logged).filter((l) => typeof l.msg === 'string' && /^live (init|first fragment)$|keyframe/.test(l.msg))
        .map((l) => `${String(l.msg)}${typeof l.ms === 'number' ? ` +${l.ms} ms` : ''}`);
      console.log(`cold live view ${i + 1}: first frame ${ms.toFixed(0)} ms after the click; agent, from its ffmpeg's start: ${agent.join(', ')}`);
      // The agent asked the camera for a keyframe of the main profile, which its clock encoder made.
      expect(cam.syncPoints.slice(asked).map((p) => [p.profileToken, p.keyframe])).toContainEqual(['Profile_1', true]);
      // Its first live view spawns an ffmpeg; by the second, one is parked, its libraries loaded.
      const started = site.agentLogs.slice(logged).find((l) => l.msg === 'starting live ffmpeg');
      expect(started?.parked).toBe(i > 0);
      await page.goto('about:blank');
    }
  });
});
