import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import type { Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startHubProcess, type HubProcess } from '../support/hub-process';
import { testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { freePort } from '../support/ports';

describe('web console in a real browser', () => {
  const hubDir = tempDir('hub');
  const agentDir = tempDir('agent');
  let hub: HubProcess;
  let port: number;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let agent: Agent | undefined;

  beforeAll(async () => {
    port = await freePort();
    hub = await startHubProcess(hubDir.path, port);
    const launched = await launchChromium();
    closeBrowser = launched.close;
    page = await launched.context.newPage();
  });
  afterAll(async () => {
    await agent?.stop();
    await closeBrowser?.();
    await hub?.stop();
    hubDir.remove();
    agentDir.remove();
  });

  const agentState = () => page.locator('[data-testid="agent-state"]');

  it('signs in with the one-time password, sets a password, creates a site and sees its agent go online, offline and online live', async () => {
    await page.goto(hub.url);
    await page.fill('#sign-in [name=username]', 'admin');
    await page.fill('#sign-in [name=password]', 'not the password');
    await page.click('#sign-in button');
    await expect.poll(() => page.textContent('#sign-in [role=alert]')).toBe('wrong username or password');

    await page.fill('#sign-in [name=password]', hub.adminPassword!);
    await page.click('#sign-in button');
    await page.fill('#change-password [name=current]', hub.adminPassword!);
    await page.fill('#change-password [name=next]', 'a long admin password');
    await page.click('#change-password button');

    await page.fill('#add-site [name=name]', 'Vecpiebalga parish');
    await page.click('#add-site button');
    const token = (await page.locator('#add-site .token').textContent({ timeout: 10_000 }))!;
    expect(token).toMatch(/^sargs1\./);
    await expect.poll(() => agentState().textContent()).toBe('offline');

    // Every change below arrives over the WebSocket: the page is never reloaded.
    ({ agent } = await testAgent(hub.url, token, agentDir.path));
    await expect.poll(() => agentState().textContent(), { timeout: 15_000 }).toBe('online');
    await agent.stop();
    agent = undefined;
    await expect.poll(() => agentState().textContent(), { timeout: 15_000 }).toBe('offline');
    ({ agent } = await testAgent(hub.url, token, agentDir.path));
    await expect.poll(() => agentState().textContent(), { timeout: 15_000 }).toBe('online');
    expect(await page.locator('section[data-site] h2').textContent()).toBe('Vecpiebalga parish');
  });

  it('reconnects by itself when the hub restarts', async () => {
    await hub.stop();
    await expect.poll(() => page.getAttribute('#link', 'data-state'), { timeout: 15_000 }).toBe('reconnecting');
    hub = await startHubProcess(hubDir.path, port);
    await expect.poll(() => page.getAttribute('#link', 'data-state'), { timeout: 30_000 }).toBe('live');
    await expect.poll(() => agentState().textContent(), { timeout: 30_000 }).toBe('online');
  });
});
