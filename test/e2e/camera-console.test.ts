import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import type { RunningHub } from '@sargs/hub';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { launchChromium } from '../support/browser';
import type { HubClient } from '../support/hub-client';
import { ADMIN_PASSWORD, hubWithAdmin, testAgent, userWithRole } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

describe('camera pages in a real browser', () => {
  const hubDir = tempDir('hub');
  const agentDir = tempDir('agent');
  let hub: RunningHub;
  let admin: HubClient;
  let agent: Agent;
  let cam: SimulatedCamera;
  let second: SimulatedCamera;
  let page: Page;
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;
  let cameraId: string;

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(hubDir.path));
    const site = await admin.createSite('Browser parish');
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, agentDir.path, { recordings: { segmentSeconds: 4 } }));
    cam = await SimulatedCamera.start({ name: 'Yard', username: 'admin', password: 'yard-secret' });
    second = await SimulatedCamera.start({ name: 'Door', username: 'admin', password: 'door-secret' });
    await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
    cameraId = (await admin.json<{ id: string }>('POST', `/api/sites/${site.site.id}/cameras`, { url: cam.deviceServiceUrl, username: 'admin', password: 'yard-secret', name: 'Depot yard' })).id;
    const b = await launchChromium();
    closeBrowser = b.close;
    context = b.context;
    page = await b.context.newPage();
  });
  afterAll(async () => {
    await closeBrowser?.();
    await agent?.stop();
    await cam?.stop();
    await second?.stop();
    await hub?.close();
    hubDir.remove();
    agentDir.remove();
  });

  it('adds a camera from the console by address, and a wrong password is explained', async () => {
    await page.goto(hub.url);
    await page.fill('#sign-in [name=username]', 'admin');
    await page.fill('#sign-in [name=password]', ADMIN_PASSWORD);
    await page.click('#sign-in button');
    await page.click('details.camera-tools summary');
    await page.fill('form.add-camera [name=url]', second.deviceServiceUrl);
    await page.fill('form.add-camera [name=name]', 'Back door');
    await page.fill('form.add-camera [name=username]', 'admin');
    await page.fill('form.add-camera [name=password]', 'not it');
    await page.click('form.add-camera button');
    await expect.poll(() => page.textContent('details.camera-tools [role=status]'), { timeout: 20_000 }).toMatch(/refused the username or password/);
    await page.fill('form.add-camera [name=password]', 'door-secret');
    await page.click('form.add-camera button');
    await expect.poll(() => page.textContent('details.camera-tools [role=status]'), { timeout: 20_000 }).toMatch(/Added "Back door"/);
    await expect.poll(() => page.locator('tr[data-camera] a', { hasText: 'Back door' }).count(), { timeout: 20_000 }).toBe(1);
  });

  it('lists the camera with its state, and its page shows a snapshot and the camera going offline and back live', async () => {
    const row = page.locator(`tr[data-camera="${cameraId}"]`);
    await expect.poll(() => row.locator('[data-testid=camera-state]').textContent(), { timeout: 20_000 }).toBe('online');

    await row.locator('a').click();
    await expect.poll(() => page.locator('h2').first().textContent()).toBe('Depot yard');
    await expect.poll(() => page.locator('[data-testid=snapshot]').evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: 20_000 }).toBe(640);
    await expect.poll(() => page.locator('[data-testid=camera-state]').textContent()).toBe('online');

    await cam.stopStream();
    await expect.poll(() => page.locator('[data-testid=camera-state]').textContent(), { timeout: 10_000 }).toBe('offline');
    await expect.poll(() => page.locator('[data-testid=changes] li').first().textContent()).toMatch(/offline/);
    await cam.startStream();
    await expect.poll(() => page.locator('[data-testid=camera-state]').textContent(), { timeout: 30_000 }).toBe('online');
    await expect.poll(() => page.locator('[data-testid=timeline] .recorded').count(), { timeout: 30_000 }).toBeGreaterThan(0);
  });

  it('the audit log page shows the sign-ins and snapshot views, and the chain verifies', async () => {
    await page.goto(`${hub.url}/#/audit`);
    await expect.poll(() => page.textContent('[data-testid=audit-verify]')).toMatch(/^Intact: \d+ entries/);
    const actions = await page.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(actions).toEqual(expect.arrayContaining(['sign-in', 'snapshot.view']));
  });

  it('the alerts page is reachable for an admin and counts what waits for acknowledgement', async () => {
    await page.goto(`${hub.url}/#/alerts`);
    await expect.poll(() => page.textContent('[data-testid=unacknowledged]')).toMatch(/\d+ alerts? waiting for acknowledgement/);
  });

  it('a security officer places a legal hold and exports footage with a reason; the audit entry holds the file\'s hash', async () => {
    const officer = await userWithRole(admin, 'officer1', 'security');
    expect((await officer.json<{ role: string }>("GET", "/api/session")).role).toBe("security");
    await context.clearCookies();
    await page.goto(hub.url);
    await page.fill('#sign-in [name=username]', 'officer1');
    await page.fill('#sign-in [name=password]', 'officer1 chosen password');
    await page.click('#sign-in button');
    await page.locator(`tr[data-camera="${cameraId}"] a`).click();
    await page.fill('#hold [name=reason]', 'police request 44/2026');
    await page.click('#hold button');
    await expect.poll(() => page.textContent('[data-testid=holds]')).toMatch(/police request 44\/2026 \(by officer1\)/);

    // The last minute: recorded by now (4 s segments).
    const to = new Date(Date.now() - 2000);
    const from = new Date(to.getTime() - 20_000);
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.fill('#export [name=from]', local(from));
    await page.fill('#export [name=to]', local(new Date(to.getTime() + 60_000)));
    await page.fill('#export [name=reason]', 'incident at the yard gate');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#export button')]);
    const file = await download.path();
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    const audit = await admin.json<{ entries: { actor: string; reason?: string; details?: { sha256?: string } }[] }>('GET', '/api/audit?action=footage.export');
    expect(audit.entries[0]).toMatchObject({ actor: 'officer1', reason: 'incident at the yard gate', details: { sha256: sha } });
  });

  it('an admin sets a site retention policy on the storage page; more than 72 hours needs a purpose', async () => {
    await context.clearCookies();
    await page.goto(`${hub.url}/#/storage`);
    await page.fill('#sign-in [name=username]', 'admin');
    await page.fill('#sign-in [name=password]', ADMIN_PASSWORD);
    await page.click('#sign-in button');
    const form = page.locator('section[data-site] form').first();
    await form.locator('[name=maxAgeHours]').fill('168');
    await form.locator('[name=purpose]').fill('');
    await form.locator('button').click();
    await expect.poll(() => page.locator('section[data-site] [role=status]').first().textContent()).toMatch(/above 72 needs a recorded purpose/);
    await form.locator('[name=maxAgeHours]').fill('48');
    await form.locator('button').click();
    await expect.poll(() => page.locator('section[data-site] p').nth(0).textContent(), { timeout: 20_000 }).toMatch(/applied by the site/);
    expect(agent.cameras.retention.currentPolicy.maxAgeHours).toBe(48);
  });
});
