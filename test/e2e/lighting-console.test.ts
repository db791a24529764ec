import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import { ArtnetReceiver } from '@sargs/sim/dmx/receivers';
import type { RunningHub } from '@sargs/hub';
import type { Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent, userWithRole } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

describe('the lighting panel in a real browser', () => {
  const hubDir = tempDir('hub');
  const agentDir = tempDir('agent');
  const rx = new ArtnetReceiver();
  let hub: RunningHub;
  let admin: HubClient;
  let agent: Agent;
  let page: Page;
  let closeBrowser: () => Promise<void>;
  let siteId: string;

  beforeAll(async () => {
    await rx.start();
    ({ hub, admin } = await hubWithAdmin(hubDir.path));
    const site = await admin.createSite('Lit parish');
    siteId = site.site.id;
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, agentDir.path, {
      lighting: {
        location: { latitude: 56.95, longitude: 24.11 }, timeZone: 'Europe/Riga',
        outputs: [{ universe: 2, driver: 'artnet', host: '127.0.0.1', port: rx.port, refreshHz: 20 }],
        fixtures: [{ name: 'flood-yard', universe: 2, startChannel: 101, channels: ['dimmer', 'strobe'] }],
        scenes: [
          { name: 'night', values: { 'flood-yard': { dimmer: 40 } }, schedule: { type: 'dusk-to-dawn' } },
          { name: 'yard', values: { 'flood-yard': { dimmer: 230 } } },
        ],
      },
    }));
    await userWithRole(admin, 'operator1', 'operator');
    await waitFor('agent online', async () => (await admin.agent(site.agent.id))?.online);
    const b = await launchChromium();
    closeBrowser = b.close;
    page = await b.context.newPage();
  });
  afterAll(async () => {
    await closeBrowser?.();
    await agent?.stop();
    await hub?.close();
    await rx.stop();
    hubDir.remove();
    agentDir.remove();
  });

  it('an operator switches a scene on with an expiry and sees the universe output change; the audit log has it', async () => {
    await page.goto(`${hub.url}/#/lighting`);
    await page.fill('#sign-in [name=username]', 'operator1');
    await page.fill('#sign-in [name=password]', 'operator1 chosen password');
    await page.click('#sign-in button');
    await page.locator('nav a', { hasText: 'Lighting' }).click();

    const panel = page.locator(`section[data-site="${siteId}"]`);
    const yard = panel.locator('tr[data-scene="yard"]');
    await expect.poll(() => yard.locator('[data-testid=scene-state]').textContent()).toBe('off');
    // The dusk-to-dawn scene shows when it next switches, whatever the time of day is now.
    await expect.poll(() => panel.locator('tr[data-scene="night"] [data-testid=scene-next]').textContent()).toMatch(/\d.*\((on|off)\)$/);
    const values = panel.locator('tr[data-universe="2"] [data-testid=universe-values]');
    const before = await values.textContent();
    expect(before === 'all channels 0 (dark)' || before === '101=40').toBe(true); // "night" may be on right now
    expect(await panel.locator('tr[data-universe="2"] [data-testid=universe-status]').textContent()).toBe('up');

    await yard.locator('select[name=state]').selectOption('on');
    await yard.locator('input[name=minutes]').fill('20');
    await yard.locator('form.switch button').click();

    await expect.poll(() => yard.locator('[data-testid=scene-state]').textContent()).toBe('on');
    expect(await yard.locator('[data-testid=scene-why]').textContent()).toMatch(/^switched on by operator1 until .+; then the schedule resumes$/);
    // "yard" comes after "night" in the setup, so it wins channel 101 even if "night" is on now.
    await expect.poll(() => values.textContent()).toBe('101=230');
    await expect.poll(() => rx.last(2)?.data[100]).toBe(230);

    const audit = await admin.json<{ entries: { actor: string; target: string; details: { scene: string; state: string; minutes: number; until: string } }[] }>('GET', '/api/audit?action=lighting.override');
    expect(audit.entries[0]).toMatchObject({ actor: 'operator1', target: siteId, details: { scene: 'yard', state: 'on', minutes: 20 } });
    expect(Date.parse(audit.entries[0]!.details.until) - Date.now()).toBeGreaterThan(18 * 60_000);

    await yard.locator('button.resume').click();
    await expect.poll(() => yard.locator('[data-testid=scene-state]').textContent()).toBe('off');
    await expect.poll(() => values.textContent()).toBe(before);
  });
});
