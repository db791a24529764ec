import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium, headless, with everything that would phone home switched off. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'sargs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

/** Chromium with a page signed in to the hub at `url` with this session cookie (`name=value`, as HubClient keeps it). */
export async function launchSignedIn(cookie: string, url: string): Promise<{ context: BrowserContext; page: Page; close: () => Promise<void> }> {
  const b = await launchChromium();
  const [name, value] = cookie.split('=') as [string, string];
  await b.context.addCookies([{ name, value, url }]);
  return { ...b, page: await b.context.newPage() };
}
