import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import { ArtnetReceiver, EnttecReader, SocatPair } from '@sargs/sim/dmx/receivers';
import type { RunningHub } from '@sargs/hub';
import type { Alert, LightingSetup } from '@sargs/shared';
import { join } from 'node:path';
import type { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent, userWithRole } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

interface SiteLighting {
  current: boolean;
  state: {
    source: string;
    setup: LightingSetup;
    scenes: { name: string; on: boolean; cause: string; override: { state: string; until: string; by: string } | null }[];
    universes: { universe: number; status: string; problem: string | null; values: number[] }[];
  } | null;
}
type AuditEntries = { entries: { actor: string; action: string; target?: string; reason?: string; details?: Record<string, unknown> }[] };

/** Channels 1–512 with some set. */
const channels = (set: Record<number, number>) => Array.from({ length: 512 }, (_v, i) => set[i + 1] ?? 0);

describe('site lighting through the hub: switching, the wire, health, audit', () => {
  const hubDir = tempDir('hub');
  const agentDir = tempDir('agent');
  const ptyDir = tempDir('dmx-pty');
  const pair = new SocatPair(join(ptyDir.path, 'enttec'), join(ptyDir.path, 'test-end'));
  const rx = new ArtnetReceiver();
  let reader: EnttecReader;
  let hub: RunningHub;
  let admin: HubClient;
  let operator: HubClient;
  let guard: HubClient;
  let agent: Agent;
  let siteId: string;
  let agentId: string;
  let setup: LightingSetup;
  const lighting = () => guard.json<SiteLighting>('GET', `/api/sites/${siteId}/lighting`);
  const universe = async (u: number) => (await lighting()).state!.universes.find((x) => x.universe === u)!;

  beforeAll(async () => {
    await rx.start();
    await pair.start();
    reader = new EnttecReader(pair.b);
    await reader.open();
    setup = {
      outputs: [
        { universe: 5, driver: 'artnet', host: '127.0.0.1', port: rx.port, refreshHz: 20 },
        { universe: 1, driver: 'enttec-usb-dmx-pro', path: pair.a, refreshHz: 20 },
      ],
      fixtures: [
        { name: 'flood-yard', universe: 5, startChannel: 101, channels: ['dimmer', 'strobe'] },
        { name: 'ir-gate', universe: 1, startChannel: 7, channels: ['intensity'] },
      ],
      scenes: [{ name: 'yard', values: { 'flood-yard': { dimmer: 230 }, 'ir-gate': { intensity: 180 } }, cameras: ['cam-gate'] }],
    };
    ({ hub, admin } = await hubWithAdmin(hubDir.path));
    const site = await admin.createSite('Lit parish');
    siteId = site.site.id;
    agentId = site.agent.id;
    ({ agent } = await testAgent(hub.url, site.enrolmentToken, agentDir.path, { lighting: setup }));
    operator = await userWithRole(admin, 'operator1', 'operator');
    guard = await userWithRole(admin, 'guard1', 'security');
    await waitFor('agent online', async () => (await admin.agent(agentId))?.online);
  });
  afterAll(async () => {
    await agent?.stop();
    await hub?.close();
    await reader?.close();
    await pair.stop();
    await rx.stop();
    for (const d of [hubDir, agentDir, ptyDir]) d.remove();
  });

  it('security sees the scenes and what each universe sends: all dark, interfaces up', async () => {
    await expect.poll(async () => (await lighting()).state?.universes.map((u) => u.status)).toEqual(['up', 'up']);
    const v = await lighting();
    expect(v.current).toBe(true);
    expect(v.state!.source).toBe('file');
    expect(v.state!.scenes).toEqual([expect.objectContaining({ name: 'yard', on: false, cause: 'no-schedule', override: null })]);
    expect(v.state!.universes.map((u) => u.values)).toEqual([channels({}), channels({})]);
    const r = await guard.request('POST', `/api/sites/${siteId}/lighting/scenes/yard/override`, { state: 'on', minutes: 10 });
    expect(r.status).toBe(403);
  });

  it('an operator switches the scene on for 15 minutes: both interfaces send it, the hub shows it, the audit log has it', async () => {
    const before = Date.now();
    const r = await operator.json<SiteLighting>('POST', `/api/sites/${siteId}/lighting/scenes/yard/override`, { state: 'on', minutes: 15, reason: 'delivery expected at the gate' });
    const scene = r.state!.scenes[0]!;
    expect(scene).toMatchObject({ on: true, cause: 'override', override: { state: 'on', by: 'operator1' } });
    expect(Date.parse(scene.override!.until) - before).toBeGreaterThanOrEqual(15 * 60_000 - 1000);

    await expect.poll(() => Array.from(rx.last(5)?.data ?? [])).toEqual(channels({ 101: 230 }));
    await expect.poll(() => reader.last && Array.from(reader.last.channels)).toEqual(channels({ 7: 180 }));
    expect(reader.last).toMatchObject({ label: 6, length: 513, startCode: 0 });
    expect((await universe(5)).values).toEqual(channels({ 101: 230 }));
    expect((await universe(1)).values).toEqual(channels({ 7: 180 }));

    const audit = await admin.json<AuditEntries>('GET', '/api/audit?action=lighting.override');
    expect(audit.entries[0]).toMatchObject({ actor: 'operator1', target: siteId, reason: 'delivery expected at the gate', details: { scene: 'yard', state: 'on', minutes: 15, until: scene.override!.until } });
    // The switch itself, as the site did it, arrives through the agent's outbox.
    await expect.poll(async () => (await admin.json<AuditEntries>('GET', '/api/audit?action=lighting.switch')).entries[0]).toMatchObject({
      actor: `agent:${agentId}`, target: siteId, reason: expect.stringMatching(/^scene "yard" switched on by operator1's override until /),
    });
  });

  it('a bad setup is refused with a message naming the bad value, and the site keeps the one it runs', async () => {
    const tooBright = structuredClone(setup);
    tooBright.scenes[0]!.values['flood-yard']!.dimmer = 300;
    let r = await operator.request('PUT', `/api/sites/${siteId}/lighting`, tooBright);
    expect(r.status).toBe(400);
    expect((r.body as { error: string }).error).toBe('bad value at "scenes.0.values.flood-yard.dimmer": 300: Expected integer to be less or equal to 255');

    const overlapping = structuredClone(setup);
    overlapping.fixtures.push({ name: 'flood-east', universe: 5, startChannel: 102, channels: ['dimmer'] });
    r = await operator.request('PUT', `/api/sites/${siteId}/lighting`, overlapping);
    expect(r.status).toBe(400);
    expect((r.body as { error: string }).error).toMatch(/"fixtures\.2\.startChannel": 102: fixture "flood-east" \(channels 102–102 of universe 5\) overlaps fixture "flood-yard" \(channels 101–102\)/);

    const unknownChannel = structuredClone(setup);
    unknownChannel.scenes[0]!.values['ir-gate'] = { zoom: 3 };
    r = await operator.request('PUT', `/api/sites/${siteId}/lighting`, unknownChannel);
    expect((r.body as { error: string }).error).toMatch(/"scenes\.0\.values\.ir-gate\.zoom": "zoom": fixture "ir-gate" has no such channel/);

    expect((await lighting()).state!.setup).toEqual(setup);
    expect((await admin.json<AuditEntries>('GET', '/api/audit?action=lighting.configure')).entries).toEqual([]);
  });

  it('a good setup from the hub replaces the file\'s, is audited, and takes effect on the wire', async () => {
    const brighter = structuredClone(setup);
    brighter.scenes[0]!.values['flood-yard'] = { dimmer: 255, strobe: 9 };
    const r = await admin.json<SiteLighting>('PUT', `/api/sites/${siteId}/lighting`, brighter);
    expect(r.state!.source).toBe('hub');
    expect(r.state!.scenes[0]).toMatchObject({ on: true, cause: 'override' }); // the override stands
    await expect.poll(() => Array.from(rx.last(5)?.data ?? [])).toEqual(channels({ 101: 255, 102: 9 }));
    const audit = await admin.json<AuditEntries>('GET', '/api/audit?action=lighting.configure');
    expect(audit.entries[0]).toMatchObject({ actor: 'admin', target: siteId, details: { setup: brighter } });
    setup = brighter;
  });

  it('unplugging the USB interface is a site health problem with an alert, not a crash; plugging it back resumes output', async () => {
    await reader.close();
    await pair.stop();
    await expect.poll(async () => (await universe(1)).status).toBe('down');
    expect((await universe(1)).problem).toMatch(/unplugged\?/);
    const open = () => admin.json<{ alerts: Alert[] }>('GET', '/api/alerts?open=true').then((a) => a.alerts.filter((x) => x.kind === 'lighting.output-down'));
    await expect.poll(open).toEqual([expect.objectContaining({ siteId, agentId, title: 'Lighting interface down at Lit parish', detail: expect.stringMatching(/^Universe 1 \(enttec-usb-dmx-pro, .*\): the interface at .* stopped answering \(unplugged\?\)/) })]);
    expect((await admin.agent(agentId))?.online).toBe(true);
    // The other universe is unaffected.
    await expect.poll(() => Array.from(rx.last(5)?.data ?? [])).toEqual(channels({ 101: 255, 102: 9 }));

    await pair.start();
    reader = new EnttecReader(pair.b);
    await reader.open();
    await expect.poll(async () => (await universe(1)).status, { timeout: 15_000 }).toBe('up');
    await expect.poll(() => reader.last && Array.from(reader.last.channels)).toEqual(channels({ 7: 180 }));
    await expect.poll(open).toEqual([]);
  });

  it('resuming the schedule ends the override at once: the scene goes off and the universes go dark', async () => {
    const r = await operator.json<SiteLighting>('DELETE', `/api/sites/${siteId}/lighting/scenes/yard/override`);
    expect(r.state!.scenes[0]).toMatchObject({ on: false, cause: 'no-schedule', override: null });
    await expect.poll(() => Array.from(rx.last(5)?.data ?? [])).toEqual(channels({}));
    await expect.poll(() => reader.last && Array.from(reader.last.channels)).toEqual(channels({}));
    const audit = await admin.json<AuditEntries>('GET', '/api/audit?action=lighting');
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['lighting.resume', 'lighting.override', 'lighting.configure', 'lighting.switch']));
    await expect.poll(async () => (await admin.json<AuditEntries>('GET', '/api/audit?action=lighting.switch')).entries[0]?.reason).toBe('scene "yard" switched off as operator1 resumed the schedule');
    const missing = await operator.request('POST', `/api/sites/${siteId}/lighting/scenes/no-such-scene/override`, { state: 'on', minutes: 5 });
    expect(missing).toMatchObject({ status: 404, body: { error: 'no scene "no-such-scene" at this site' } });
  });
});
