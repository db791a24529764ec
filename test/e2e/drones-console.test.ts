import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type RunningHub } from '@sargs/hub';
import { DEFAULT_MAP_TILES, mapTileSource } from '@sargs/hub/http/console-files';
import type { FlightView, VehicleTelemetry } from '@sargs/shared';
import { decodeMessage, isArmed, isAutopilotHeartbeat } from '@sargs/shared/mavlink/messages';
import { readTlog } from '@sargs/shared/mavlink/tlog';
import type { BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { launchChromium } from '../support/browser';
import { HubClient } from '../support/hub-client';
import { ADMIN_PASSWORD, userWithRole } from '../support/in-process';
import { capturedLogger } from '../support/log-capture';
import { consoleDir, fixturesDir, repoRoot, tempDir } from '../support/paths';
import { freePort } from '../support/ports';

const TLOG = join(fixturesDir, 'mavlink', 'arduplane-vtol-sitl.tlog');
/** Any real PNG will do as a map tile; Leaflet's own marker image is at hand. */
const TILE_PNG = readFileSync(join(repoRoot, 'web', 'node_modules', 'leaflet', 'dist', 'images', 'marker-icon.png'));
const SHOTS = process.env.SARGS_SCREENSHOTS;

const envelope = (type: string, body: unknown) => JSON.stringify({ v: 1, type, ts: new Date().toISOString(), body });

/** What the console prints for a duration (web/src/lib/flight-format.ts), written out again to check it. */
function durationText(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m ? `${m} min ${s % 60} s` : `${s} s`;
}

/** The armed time and the greatest height above home while armed, straight from the log's HEARTBEAT and GLOBAL_POSITION_INT frames. */
function fromRawFrames(file: string): { armedS: number; maxHeightM: number } {
  let armedAt: number | undefined;
  let armedS = 0;
  let maxHeightM = -Infinity;
  for (const r of readTlog(readFileSync(file))) {
    const m = decodeMessage(r.frame);
    const t = Number(r.timeUs) / 1e6;
    if (m?.name === 'HEARTBEAT' && isAutopilotHeartbeat(m)) {
      if (isArmed(m) && armedAt === undefined) armedAt = t;
      if (!isArmed(m) && armedAt !== undefined) { armedS += t - armedAt; armedAt = undefined; }
    } else if (m?.name === 'GLOBAL_POSITION_INT' && armedAt !== undefined) maxHeightM = Math.max(maxHeightM, m.relativeAlt);
  }
  return { armedS, maxHeightM };
}

describe('drone pages in a real browser', () => {
  const hubDir = tempDir('hub');
  let hub: RunningHub;
  let admin: HubClient;
  let pilot: HubClient;
  let context: BrowserContext;
  let page: Page;
  let closeBrowser: () => Promise<void>;
  let tilePort: number;
  let tiles: Server | undefined;
  let tileRequests = 0;
  let token: string;
  let siteId: string;
  let otherSiteId: string;
  let flight: FlightView;
  const cspViolations: string[] = [];

  const shot = async (name: string) => { if (SHOTS) await page.screenshot({ path: join(SHOTS, name), fullPage: true }); };
  const signIn = async (username: string, password: string) => {
    await context.clearCookies();
    await page.goto(hub.url);
    await page.fill('#sign-in [name=username]', username);
    await page.fill('#sign-in [name=password]', password);
    await page.click('#sign-in button');
    await expect.poll(() => page.textContent('#who')).toMatch(username);
  };

  beforeAll(async () => {
    // The tile server's port is chosen now but nothing listens there yet: tiles "unreachable".
    tilePort = await freePort();
    let oneTime = '';
    hub = await startHub({
      dataDir: hubDir.path, port: 0, consoleDir, logger: capturedLogger('hub').logger,
      mapTiles: `http://127.0.0.1:${tilePort}/{z}/{x}/{y}.png`, onFirstAdmin: (p) => { oneTime = p; },
    });
    admin = new HubClient(hub.url);
    await admin.signInFirstTime('admin', oneTime, ADMIN_PASSWORD);
    const site = await admin.createSite('Airfield parish');
    token = site.enrolmentToken;
    siteId = site.site.id;
    otherSiteId = (await admin.createSite('Harbour parish')).site.id;
    pilot = await userWithRole(admin, 'pilot1', 'pilot');
    await userWithRole(admin, 'guard1', 'security');
    const b = await launchChromium();
    closeBrowser = b.close;
    context = b.context;
    page = await context.newPage();
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  });
  afterAll(async () => {
    await closeBrowser?.();
    tiles?.close();
    await hub?.close();
    hubDir.remove();
  });

  it('the console page names the tile server, and its CSP lets images come from that host and no other', async () => {
    const res = await fetch(hub.url);
    expect(res.headers.get('content-security-policy')).toContain(`img-src 'self' data: blob: http://127.0.0.1:${tilePort};`);
    expect(await res.text()).toContain(`<meta name="sargs-map-tiles" content="http://127.0.0.1:${tilePort}/{z}/{x}/{y}.png">`);
    const warnings: string[] = [];
    const source = (t: string | undefined) => mapTileSource(t, (w) => warnings.push(w));
    expect(source(undefined)).toEqual({ template: DEFAULT_MAP_TILES, origin: 'https://tile.openstreetmap.org' });
    expect(source('https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png?key=k')?.origin).toBe('https://*.tiles.example.org:8443');
    expect(source('off')).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(source('javascript:alert(1)//{z}')).toBeUndefined();
    expect(warnings[0]).toMatch(/map tiles turned off: "javascript:alert\(1\)\/\/\{z\}" is not a usable tile URL template/);
  });

  it('a pilot sees the drone pages in the menu and uploads a tlog from the logbook page', async () => {
    await signIn('pilot1', 'pilot1 chosen password');
    expect(await page.locator('#nav a').allTextContents()).toEqual(expect.arrayContaining(['Drones', 'Flights']));
    await page.click('#nav a:text("Flights")');
    await expect.poll(() => page.textContent('[data-testid=flight-count]')).toBe('No flights match.');
    await page.setInputFiles('#flight-upload [name=tlog]', TLOG);
    await page.selectOption('#flight-upload [name=site]', siteId);
    await page.click('#flight-upload button');
    await expect.poll(() => page.textContent('[data-testid=upload-status]'), { timeout: 30_000 }).toMatch(/arduplane-vtol-sitl\.tlog: 1 flight found/);
    const list = await pilot.json<{ flights: FlightView[] }>('GET', '/api/flights');
    expect(list.flights).toHaveLength(1);
    flight = list.flights[0]!;
    const raw = fromRawFrames(TLOG);
    expect(Math.abs(flight.durationS - raw.armedS)).toBeLessThan(1);
    expect(Math.abs(flight.maxHeightM - raw.maxHeightM)).toBeLessThan(0.5);
    expect(flight).toMatchObject({ source: 'upload', siteId, pilot: 'pilot1' }); // the uploading pilot, until edited
  });

  it('the logbook lists the flight with its duration and height, and the filters narrow it', async () => {
    const row = page.locator(`tr[data-flight="${flight.id}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('[data-testid=flight-duration]').textContent()).toBe(durationText(flight.durationS));
    expect(await row.locator('[data-testid=flight-height]').textContent()).toBe(`${flight.maxHeightM.toFixed(1)} m`);
    await shot('logbook.png');

    const filter = async (values: Record<string, string>) => {
      for (const [name, value] of Object.entries(values)) {
        if (name === 'site') await page.selectOption(`#flight-filters [name=${name}]`, value);
        else await page.fill(`#flight-filters [name=${name}]`, value);
      }
      await page.click('#flight-filters button[type=submit]');
    };
    const day = flight.start.slice(0, 10); // 2018-08-08 (UTC); the browser runs in the same zone as this test
    const local = new Date(flight.start);
    const localDay = `${local.getFullYear()}-${String(local.getMonth() + 1).padStart(2, '0')}-${String(local.getDate()).padStart(2, '0')}`;
    expect(day).toMatch(/^2018-08-0[789]$/);
    await filter({ from: localDay, to: localDay });
    await expect.poll(() => row.count()).toBe(1);
    await filter({ from: '2018-08-10', to: '' });
    await expect.poll(() => page.textContent('[data-testid=flight-count]')).toBe('No flights match.');
    await page.click('#flight-filters button[type=reset]');
    await expect.poll(() => row.count()).toBe(1);
    await filter({ site: otherSiteId });
    await expect.poll(() => page.textContent('[data-testid=flight-count]')).toBe('No flights match.');
    await filter({ site: siteId });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td').nth(3).textContent()).toBe('Airfield parish');
    await page.click('#flight-filters button[type=reset]');
    await filter({ vehicle: String(flight.systemId) });
    await expect.poll(() => row.count()).toBe(1);
    await filter({ vehicle: 'quadrotor' }); // the fixture is a VTOL plane
    await expect.poll(() => page.textContent('[data-testid=flight-count]')).toBe('No flights match.');
    await page.click('#flight-filters button[type=reset]');
    await filter({ pilot: 'Nobody' });
    await expect.poll(() => page.textContent('[data-testid=flight-count]')).toBe('No flights match.');
    expect(page.url()).toMatch(/#\/flights\?.*pilot=Nobody/);
    await page.click('#flight-filters button[type=reset]');
    await expect.poll(() => row.count()).toBe(1);
  });

  it('the flight page draws the track on a plain background without tiles, and the altitude chart', async () => {
    await page.locator(`tr[data-flight="${flight.id}"] a`).click();
    await expect.poll(() => page.textContent('[data-testid=summary-duration]')).toBe(durationText(flight.durationS));
    expect(await page.textContent('[data-testid=summary-height]')).toBe(`${flight.maxHeightM.toFixed(1)} m`);
    const map = page.locator('[data-testid=flight-map]');
    await expect.poll(() => map.getAttribute('data-background'), { timeout: 10_000 }).toBe('plain');
    expect(await page.locator('.map-note').textContent()).toMatch(/not reachable/);
    // The track: one SVG path with many vertices, and the graticule lines that give it scale.
    const vertices = await page.locator('#flight-map path.flight-track').evaluate((p) => (p.getAttribute('d') ?? '').split(/[ML]/).filter((s) => s.trim()).length);
    expect(vertices).toBeGreaterThan(100);
    const box = await page.locator('#flight-map path.flight-track').boundingBox();
    expect(Math.max(box!.width, box!.height)).toBeGreaterThan(200); // fitted to the map, not a dot
    expect(await page.locator('#flight-map path.graticule-line').count()).toBeGreaterThan(2);
    expect(await page.locator('#flight-map .leaflet-control-scale-line').textContent()).toMatch(/\d+ (m|km)/);
    expect(await page.locator('#flight-map img.leaflet-tile').count()).toBe(0);

    const chart = page.locator('[data-testid=altitude-chart]');
    const samples = Number(await chart.getAttribute('data-points'));
    expect(samples).toBeGreaterThan(100);
    expect(await page.textContent('[data-testid=track-points]')).toMatch(new RegExp(`^${samples} (of \\d+ )?position samples`));
    // The plot canvas really has a line on it: count the pixels that are not background.
    const inked = await chart.locator('canvas').first().evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(500);
    await shot('flight-plain.png');
    expect(await page.getAttribute('.downloads a:text("GPX")', 'href')).toBe(`/api/flights/${flight.id}/track.gpx`);
  });

  it('the pilot name and notes are saved and still there after a reload', async () => {
    await page.fill('#flight-edit [name=pilot]', 'Ieva Ozola');
    await page.fill('#flight-edit [name=notes]', 'Survey of the north field, light wind.');
    await page.click('#flight-edit button');
    await expect.poll(() => page.textContent('[data-testid=edit-status]')).toBe('Saved.');
    await page.reload();
    await expect.poll(() => page.inputValue('#flight-edit [name=pilot]')).toBe('Ieva Ozola');
    expect(await page.inputValue('#flight-edit [name=notes]')).toBe('Survey of the north field, light wind.');
    await page.goto(`${hub.url}/#/flights?pilot=Ieva`);
    await expect.poll(() => page.locator(`tr[data-flight="${flight.id}"] [data-testid=flight-pilot]`).textContent()).toBe('Ieva Ozola');
  });

  it('uses map tiles once the tile server answers', async () => {
    tiles = createServer((req, res) => { tileRequests++; res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' }).end(TILE_PNG); });
    tiles.listen(tilePort, '127.0.0.1');
    await once(tiles, 'listening');
    await page.goto(`${hub.url}/#/flights/${encodeURIComponent(flight.id)}`);
    const map = page.locator('[data-testid=flight-map]');
    await expect.poll(() => map.getAttribute('data-background'), { timeout: 10_000 }).toBe('tiles');
    await expect.poll(() => page.locator('#flight-map img.leaflet-tile-loaded').count()).toBeGreaterThan(0);
    expect(tileRequests).toBeGreaterThan(1);
    expect(await page.locator('#flight-map path.flight-track').count()).toBe(1);
    expect(await page.locator('#flight-map path.graticule-line').count()).toBe(0);
    await shot('flight-tiles.png');

    // The tile server goes away (the site loses its internet): the next tiles fail and the map falls back.
    tiles.close();
    tiles.closeAllConnections(); // kept-alive sockets would still serve tiles
    tiles = undefined;
    await page.click('#flight-map .leaflet-control-zoom-out');
    await expect.poll(() => map.getAttribute('data-background')).toBe('plain');
    expect(await page.locator('.map-note').textContent()).toMatch(/stopped loading/);
    expect(await page.locator('#flight-map path.graticule-line').count()).toBeGreaterThan(2);
    expect(await page.locator('#flight-map path.flight-track').count()).toBe(1);
  });

  it('the live map shows a vehicle an agent reports, and its link being lost', async () => {
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/agent/ws`, { headers: { authorization: `Bearer ${token}` } });
    const welcome = new Promise<void>((resolve) => ws.on('message', (d) => { if (String(d).includes('"welcome"')) resolve(); }));
    await once(ws, 'open');
    ws.send(envelope('hello', { agentName: 'airfield-gw', version: 'test', hostname: 'gw', lastSeq: 0 }));
    await welcome;
    const now = () => new Date().toISOString();
    const telemetry = (linkUp: boolean): VehicleTelemetry => ({
      vehicleKey: 'sys1', systemId: 1, autopilot: 'ardupilotmega', vehicleType: 'vtol-tiltrotor', linkUp,
      lastHeartbeatAt: now(), armed: true, mode: 'AUTO', lat: 56.9496, lon: 24.1052, altMslM: 71.4, altRelM: 48.2,
      headingDeg: 135, groundSpeedMps: 17.5, batteryPercent: 64, batteryVoltageV: 15.8, gpsFix: 3, satellites: 14,
      linkQualityPercent: 98, updatedAt: now(),
    });
    try {
      await page.click('#nav a:text("Drones")');
      ws.send(envelope('vehicles', { vehicles: [telemetry(true)] }));
      const row = page.locator('tr[data-vehicle$="/sys1"]');
      await expect.poll(() => row.locator('[data-testid=link-state]').textContent()).toBe('link up 98 %');
      expect(await row.locator('[data-testid=vehicle-height]').textContent()).toMatch(/^48\.2 m/);
      expect(await row.textContent()).toMatch(/armed · AUTO.*17\.5 m\/s.*135 °.*64 %.*3D fix14 satellites/);
      const marker = page.locator('#drone-map .vehicle-marker');
      await expect.poll(() => marker.count()).toBe(1);
      expect(await marker.locator('path').getAttribute('transform')).toBe('rotate(135 12 12)');
      await expect.poll(() => page.locator('[data-testid=drone-map]').getAttribute('data-background')).toBe('plain');
      expect(await page.locator('#drone-map .map-note').textContent()).toMatch(/not reachable/);
      expect(await page.isVisible('[data-testid=lost-banner]')).toBe(false);
      await shot('drones-live.png');

      ws.send(envelope('vehicles', { vehicles: [telemetry(false)] }));
      await expect.poll(() => row.locator('[data-testid=link-state]').textContent()).toBe('LINK LOST');
      await expect.poll(() => page.textContent('[data-testid=lost-banner]')).toMatch(/Link lost: vtol-tiltrotor · system 1 at Airfield parish/);
      expect(await marker.getAttribute('class')).toMatch(/\blost\b/);
      expect(await page.textContent('#drone-map .vehicle-label')).toMatch(/LINK LOST/);
      await shot('drones-link-lost.png');
    } finally {
      ws.close();
    }
  });

  it('a security officer has no drone pages, and the pages broke no CSP rule', async () => {
    await signIn('guard1', 'guard1 chosen password');
    const links = await page.locator('#nav a').allTextContents();
    expect(links).not.toContain('Drones');
    expect(links).not.toContain('Flights');
    await page.goto(`${hub.url}/#/flights`);
    await expect.poll(() => page.locator('#fleet').count()).toBe(1); // sent to the sites page instead
    expect(await page.locator('[data-testid=flight-count]').count()).toBe(0);
    expect(cspViolations).toEqual([]);
  });
});
