import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '@sargs/hub';
import { readQgcPlan } from '@sargs/shared/survey/files/qgc-plan-read';
import { MAV_CMD } from '@sargs/shared/survey/mission-items';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, userWithRole } from '../support/in-process';
import { fixturesDir, tempDir } from '../support/paths';

const KML = join(fixturesDir, 'missions', 'qgc-PolygonGood.kml');
const SHOTS = process.env.SARGS_SCREENSHOTS;

/** An ED-269 file with one zone over the KML's area (Redmond, WA) that needs an authorisation. */
const ZONES = JSON.stringify({
  features: [{
    identifier: 'TEST-REQ-1', name: 'Test heliport', restriction: 'REQ_AUTHORISATION', zoneAuthority: [{ name: 'Test aviation authority', email: 'uas@example.org' }],
    geometry: [{ uomDimensions: 'M', lowerLimit: 0, upperLimit: 300, lowerVerticalReference: 'AGL', upperVerticalReference: 'AGL',
      horizontalProjection: { type: 'Polygon', coordinates: [[[-122.107, 47.6595], [-122.104, 47.6595], [-122.104, 47.6606], [-122.107, 47.6606], [-122.107, 47.6595]]] } }],
  }],
});

interface PlanAnswer { estimates: { photoCount: number; lineCount: number }; camera: { triggerDistanceM: number; altitudeM: number } }

describe('survey planner in a real browser', () => {
  const dir = tempDir('planner');
  let hub: RunningHub;
  let admin: HubClient;
  let pilot: HubClient;
  let siteId: string;
  let context: BrowserContext;
  let page: Page;
  let closeBrowser: () => Promise<void>;

  const estimate = (key: string) => page.textContent(`[data-testid=estimates] [data-estimate=${key}]`);

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(dir.path));
    siteId = (await admin.createSite('Airfield')).site.id;
    pilot = await userWithRole(admin, 'pia', 'pilot');
    ({ context, close: closeBrowser } = await launchChromium());
    page = await context.newPage();
    await page.goto(hub.url);
    await page.fill('#sign-in [name=username]', 'pia');
    await page.fill('#sign-in [name=password]', 'pia chosen password');
    await page.click('#sign-in button');
    await page.waitForFunction(() => document.getElementById('who')?.textContent?.includes('pia'));
  });
  afterAll(async () => { await closeBrowser?.(); await hub?.close(); dir.remove(); });

  it('imports a KML area, plans it, shows the estimates, follows a parameter change, and downloads a .plan that imports', async () => {
    expect(await page.textContent('#nav')).toContain('Planner');
    await page.goto(`${hub.url}/#/planner`);
    await expect.poll(() => page.locator('[data-testid=planner-site] option').allTextContents()).toEqual(['Airfield']);
    await page.locator('[name=camera]').waitFor();

    await page.setInputFiles('[data-testid=area-file]', KML);
    await expect.poll(() => page.textContent('[data-testid=area-status]')).toMatch(/Imported "qgc-PolygonGood"/);
    const saved = await pilot.json<{ areas: { id: string; name: string }[] }>('GET', `/api/sites/${siteId}/areas`);
    expect(saved.areas.map((a) => a.name)).toEqual(['qgc-PolygonGood']);

    // What the page shows is what the API plans for the same area and the form's defaults.
    const params = { camera: 'dji-mavic-3-enterprise', gsdCm: 2.5, frontOverlapPct: 75, sideOverlapPct: 65, speedMps: 8, turnaroundM: 10 };
    const expected = await pilot.json<PlanAnswer>('POST', '/api/survey/plan', { siteId, areaId: saved.areas[0]!.id, ...params });
    expect(expected.estimates.photoCount).toBeGreaterThan(0);
    await expect.poll(() => estimate('photos')).toBe(String(expected.estimates.photoCount));
    expect(await estimate('gsd')).toBe('2.50 cm/px');
    expect(await estimate('altitude')).toBe(`${expected.camera.altitudeM.toFixed(1)} m above take-off`);
    expect(await page.textContent('[data-testid=findings]')).toMatch(/Check passed/);
    expect(Number(await page.getAttribute('[data-testid=planner-map]', 'data-lines'))).toBeGreaterThan(0);
    expect(Number(await page.getAttribute('[data-testid=planner-map]', 'data-photos'))).toBe(expected.estimates.photoCount);

    // A sharper picture needs more lines and more photos: the estimates follow the typing.
    const sharper = await pilot.json<PlanAnswer>('POST', '/api/survey/plan', { siteId, areaId: saved.areas[0]!.id, ...params, gsdCm: 1 });
    expect(sharper.estimates.photoCount).toBeGreaterThan(expected.estimates.photoCount);
    await page.fill('[name=target]', '1');
    await expect.poll(() => estimate('photos')).toBe(String(sharper.estimates.photoCount));
    expect(await estimate('gsd')).toBe('1.00 cm/px');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'survey-planner.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-plan]')]);
    expect(download.suggestedFilename()).toBe('survey.plan');
    const text = readFileSync((await download.path())!, 'utf8');
    const file = JSON.parse(text) as { fileType: string; mission: { plannedHomePosition: number[] } };
    expect(file.fileType).toBe('Plan');
    const mission = readQgcPlan(text);
    expect(mission.home).not.toBeNull();
    const triggers = mission.items.filter((i) => i.command === MAV_CMD.DO_SET_CAM_TRIGG_DIST && i.param1 > 0);
    expect(triggers.length).toBeGreaterThan(0);
    expect(triggers[0]!.param1).toBeCloseTo(sharper.camera.triggerDistanceM, 3);
    expect(await page.textContent('[data-testid=export-status]')).toBe('Saved survey.plan.');
  });

  it('shows a zone that needs an authorisation, refuses the export until one is recorded', async () => {
    await pilot.json('PUT', '/api/survey/zones', { fileName: 'zones.json', text: ZONES });
    await page.fill('[name=target]', '2'); // any change plans again, now against the zone
    await expect.poll(() => page.textContent('[data-testid=findings]')).toMatch(/Must not fly: .*"Test heliport" \(TEST-REQ-1\): REQ_AUTHORISATION, authority: Test aviation authority/);
    await page.click('[data-testid=download-plan]');
    await expect.poll(() => page.textContent('[data-testid=export-status]')).toMatch(/^Not exported: the plan must not fly as it is.*Test heliport/);

    await page.fill('[name=authorisation]', 'TEST-AUTH-42');
    await expect.poll(() => page.textContent('[data-testid=findings]')).toMatch(/Warning: .*authorisation recorded: "TEST-AUTH-42"/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'survey-planner-zone.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-plan]')]);
    expect(readQgcPlan(readFileSync((await download.path())!, 'utf8')).items.length).toBeGreaterThan(3);
    const audit = await admin.json<{ entries: { actor: string; action: string; reason?: string }[] }>('GET', '/api/audit?action=survey.export');
    expect(audit.entries.some((e) => e.actor === 'pia' && e.reason === 'authorisation TEST-AUTH-42')).toBe(true);
  });

  it('the API behind the page: clear errors for bad files, mission files checked and converted, split plans exported one flight at a time', async () => {
    const areas = `/api/sites/${siteId}/areas`;
    const bad = await pilot.request('POST', areas, { name: 'bad', file: { name: 'bad.kml', text: readFileSync(join(fixturesDir, 'missions', 'qgc-PolygonBadCoordinatesNode.kml'), 'utf8') } });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toMatch(/^KML: text before the XML declaration/);
    const again = await pilot.request('POST', areas, { name: 'qgc-PolygonGood', file: { name: 'x.kml', text: readFileSync(KML, 'utf8') } });
    expect(again.status).toBe(409);

    // A QGroundControl file: checked against the zones of this site, converted to Mission Planner's WPL.
    const missionFile = { name: 'qgroundcontrol_sample.plan', text: readFileSync(join(fixturesDir, 'missions', 'qgroundcontrol_sample.plan'), 'utf8') };
    const check = await pilot.json<{ mustNotFly: boolean; findings: unknown[] }>('POST', '/api/survey/check', { siteId, missionFile });
    expect(check.mustNotFly).toBe(false);
    const wpl = await pilot.request('POST', '/api/survey/export?format=waypoints', { siteId, missionFile });
    expect(wpl.status).toBe(200);
    expect(wpl.headers.get('content-disposition')).toBe('attachment; filename="qgroundcontrol_sample.waypoints"');
    expect(String(wpl.body)).toMatch(/^QGC WPL 110\n/);

    // A battery of 2 minutes splits the survey; each flight is exported on its own.
    const { areas: [area] } = await pilot.json<{ areas: { id: string }[] }>('GET', areas);
    const survey = { areaId: area!.id, camera: 'dji-mavic-3-enterprise', gsdCm: 0.5, frontOverlapPct: 75, sideOverlapPct: 65, enduranceMin: 2, reservePct: 0 };
    const plan = await pilot.json<{ flights: unknown[] }>('POST', '/api/survey/plan', { siteId, authorisation: 'TEST-AUTH-42', ...survey });
    expect(plan.flights.length).toBeGreaterThan(1);
    const unsaid = await pilot.request('POST', '/api/survey/export?format=plan', { siteId, authorisation: 'TEST-AUTH-42', survey });
    expect(unsaid.status).toBe(400);
    expect((unsaid.body as { error: string }).error).toBe(`the plan has ${plan.flights.length} flights (it does not fit one battery); say which one with "flight" (1 to ${plan.flights.length})`);
    const second = await pilot.request('POST', '/api/survey/export?format=plan', { siteId, authorisation: 'TEST-AUTH-42', survey, flight: 2 });
    expect(second.headers.get('content-disposition')).toBe('attachment; filename="survey-flight-2.plan"');
    expect(readQgcPlan(JSON.stringify(second.body)).items.length).toBeGreaterThan(3);
    const kml = await pilot.request('POST', '/api/survey/export?format=kml', { siteId, authorisation: 'TEST-AUTH-42', survey });
    expect(String(kml.body)).toContain('<kml xmlns="http://www.opengis.net/kml/2.2">');

    expect((await pilot.request('DELETE', `${areas}/${area!.id}`)).status).toBe(204);
    expect((await pilot.json<{ areas: unknown[] }>('GET', areas)).areas).toEqual([]);
  });
});
