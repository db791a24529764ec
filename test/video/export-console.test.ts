// The console's export in a real browser: a security officer enters a range and a reason, the
// browser downloads the file, and the SHA-256 the console shows is the file's and the audit log's.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { userWithRole } from '../support/in-process';
import { tempDir } from '../support/paths';
import { exportSite, probeFile, type ExportSite } from './export-fixtures';

/** The value a datetime-local input takes for a moment, in the browser's (and this process's) zone. */
const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

describe('export in the console', () => {
  const work = tempDir('export-console-work');
  let site: ExportSite;
  let context: BrowserContext;
  let page: Page;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    site = await exportSite('export-console', { segments: 5 });
    await userWithRole(site.admin, 'officer', 'security');
    await userWithRole(site.admin, 'watcher', 'operator');
    const b = await launchChromium();
    closeBrowser = b.close;
    context = b.context;
    page = await context.newPage();
  });
  afterAll(async () => { await closeBrowser?.(); await site?.close(); work.remove(); });

  async function signIn(username: string): Promise<void> {
    await context.clearCookies();
    await page.goto(site.hub.url);
    await page.fill('#sign-in [name=username]', username);
    await page.fill('#sign-in [name=password]', `${username} chosen password`);
    await page.click('#sign-in button');
    await expect.poll(() => page.textContent('#who')).toMatch(new RegExp(`^${username} `));
    await page.goto(`${site.hub.url}/#/cameras/${site.cameraId}`);
  }

  it('a security officer exports a range with a reason: the file downloads, plays, and its SHA-256 is the one shown and audited', async () => {
    await signIn('officer');
    // Minutes are what the inputs hold: the whole 20 s of footage lies inside.
    await page.fill('#export [name=from]', local(site.t0 - 60_000));
    await page.fill('#export [name=to]', local(site.t0 + 120_000));
    await page.fill('#export [name=reason]', 'break-in at the depot, case 2026/311');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#export button')]);
    const file = await download.path();
    const bytes = readFileSync(file);
    const sha = createHash('sha256').update(bytes).digest('hex');
    await expect.poll(() => page.textContent('[data-testid=export-sha256]')).toBe(sha);
    expect(await page.textContent('[data-testid=export-size]')).toContain(`(${bytes.length.toLocaleString('en')} bytes)`);
    const audit = await site.admin.json<{ entries: { action: string; actor: string; reason?: string; details?: { sha256?: string; bytes?: number } }[] }>('GET', '/api/audit?action=footage.export');
    expect(audit.entries[0]).toMatchObject({ action: 'footage.export', actor: 'officer', reason: 'break-in at the depot, case 2026/311', details: { sha256: sha, bytes: bytes.length } });
    const p = await probeFile(file);
    expect(p.decodeErrors).toBe('');
    expect(p.packets[0]).toMatchObject({ dts: 0, key: true });
    expect(p.durationS).toBeGreaterThan(19.5);
    expect(download.suggestedFilename()).toMatch(/^Depot_gate_.*\.mp4$/);

    // The browser plays the saved file as it is, and seeks in it.
    const saved = join(work.path, 'saved.mp4');
    copyFileSync(file, saved);
    const player = await context.newPage();
    try {
      await player.goto(pathToFileURL(saved).toString());
      const video = player.locator('video');
      await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
      expect(await video.evaluate((v: HTMLVideoElement) => v.duration)).toBeCloseTo(p.durationS, 1);
      await video.evaluate((v: HTMLVideoElement) => new Promise((resolve) => { v.addEventListener('seeked', resolve, { once: true }); v.currentTime = 15; }));
      await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(2);
      expect(await video.evaluate((v: HTMLVideoElement) => v.error)).toBeNull();
    } finally {
      await player.close();
    }
  });

  it('a range without footage is explained in a sentence, never as JSON', async () => {
    await page.fill('#export [name=from]', local(site.t0 - 3 * 3_600_000));
    await page.fill('#export [name=to]', local(site.t0 - 2 * 3_600_000));
    await page.fill('#export [name=reason]', 'looking for the van');
    await page.click('#export button');
    await expect.poll(() => page.textContent('[data-testid=export-error]')).toMatch(/^No footage was recorded by Depot gate between .+ UTC and .+ UTC\.$/);
  });

  it('an operator sees no export on the camera page', async () => {
    await signIn('watcher');
    await expect.poll(() => page.locator('h2').first().textContent()).toBe('Depot gate');
    expect(await page.locator('#export').count()).toBe(0);
    expect(await page.locator('[data-testid=export-panel]').count()).toBe(0);
  });
});
