import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import WebSocket from 'ws';
import { startHub, type RunningHub } from '@sargs/hub';
import type { Alert, FlightLogChunk, FlightView, VehicleTelemetry, VehicleView } from '@sargs/shared';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import { referenceFlights } from '../support/flight-reference';
import { HubClient } from '../support/hub-client';
import { hubWithAdmin, testAgent, userWithRole } from '../support/in-process';
import { capturedLogger } from '../support/log-capture';
import { consoleDir, fixturesDir, tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

const MAVLINK = join(fixturesDir, 'mavlink');
const VTOL = readFileSync(join(MAVLINK, 'arduplane-vtol-sitl.tlog'));
const COPTER = readFileSync(join(MAVLINK, 'arducopter-auto-mission-2013-10-13-165851.tlog'));
const RAW_V2 = readFileSync(join(MAVLINK, 'mavlink-v2-3412-packets.bin'));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A flight.log chunk series for a tlog, as an agent's sender cuts it. */
function chunksOf(bytes: Buffer, size: number, opts: { badSha?: boolean } = {}): FlightLogChunk[] {
  const flightId = randomUUID();
  const out: FlightLogChunk[] = [];
  for (let offset = 0, index = 0; offset < bytes.length; offset += size, index++) {
    const final = offset + size >= bytes.length;
    out.push({
      flightId, vehicleKey: 'sys1', systemId: 1, index, offset, final, startedAt: new Date().toISOString(),
      dataBase64: bytes.subarray(offset, offset + size).toString('base64'),
      ...(final ? { totalBytes: bytes.length, sha256: opts.badSha ? sha(Buffer.from('not this file')) : sha(bytes) } : {}),
    });
  }
  return out;
}

interface Pushed { type: string; body: unknown }
/** A signed-in console's socket, keeping every push. */
async function consoleSocket(hubUrl: string, client: HubClient) {
  const ws = new WebSocket(`${hubUrl.replace('http', 'ws')}/console/ws`, { headers: { cookie: client.cookie! } });
  const seen: Pushed[] = [];
  ws.on('message', (d) => seen.push(JSON.parse(d.toString()) as Pushed));
  await once(ws, 'open');
  /** Everything the hub sent this console before now has arrived once the pong is back. */
  const sync = async () => {
    const pongs = seen.filter((m) => m.type === 'pong').length;
    ws.send(JSON.stringify({ v: 1, type: 'ping', ts: new Date().toISOString(), body: {} }));
    await waitFor('pong', () => seen.filter((m) => m.type === 'pong').length > pongs);
  };
  return { ws, seen, sync, of: <T>(type: string) => seen.filter((m) => m.type === type).map((m) => m.body as T) };
}

describe('flight logbook', () => {
  const dir = tempDir('logbook');
  let hub: RunningHub;
  let admin: HubClient;
  let pilot: HubClient;
  let operator: HubClient;
  let security: HubClient;
  let siteId: string;

  const send = async (client: HubClient, method: string, path: string, body?: Buffer | string, type = 'application/octet-stream') => {
    const payload = typeof body === 'string' || body === undefined ? body : new Uint8Array(body);
    const res = await fetch(new URL(path, hub.url), { method, headers: { cookie: client.cookie!, ...(body !== undefined ? { 'content-type': type } : {}) }, body: payload });
    const bytes = Buffer.from(await res.arrayBuffer());
    let json: unknown;
    try { json = JSON.parse(bytes.toString()); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, bytes, json: json as Record<string, unknown> & { error?: string } };
  };
  const upload = (bytes: Buffer | string, query = '', client = pilot, type?: string) => send(client, 'POST', `/api/flights/upload${query}`, bytes, type);
  const list = (client: HubClient, query = '') => client.json<{ flights: FlightView[]; total: number }>('GET', `/api/flights${query}`);

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(dir.path));
    pilot = await userWithRole(admin, 'ilze', 'pilot');
    operator = await userWithRole(admin, 'oskars', 'operator');
    security = await userWithRole(admin, 'sandra', 'security');
    siteId = (await admin.createSite('Airfield')).site.id;
  });
  afterAll(async () => { await hub?.close(); dir.remove(); });

  it('a pilot uploads each fixture tlog: one flight per real flight, matching the raw frames', async () => {
    const pilotConsole = await consoleSocket(hub.url, pilot);
    const securityConsole = await consoleSocket(hub.url, security);
    try {
      for (const [name, bytes, query] of [['vtol', VTOL, `?site=${siteId}`], ['copter', COPTER, '']] as const) {
        const r = await upload(bytes, query);
        expect(r.status, `${name}: ${r.json?.error}`).toBe(201);
        const flights = r.json.flights as FlightView[];
        const ref = referenceFlights(bytes);
        expect(ref.length, name).toBeGreaterThan(0);
        expect(flights.map((f) => f.systemId), name).toEqual(ref.map(() => 1));
        flights.forEach((f, i) => {
          expect(Math.abs(f.durationS - (ref[i]!.end - ref[i]!.start) / 1000), `${name} duration`).toBeLessThan(1);
          expect(Math.abs(f.maxHeightM - ref[i]!.maxHeightM), `${name} max height`).toBeLessThan(0.5);
          expect(f).toMatchObject({ source: 'upload', pilot: 'ilze', agentId: null, siteId: query ? siteId : null, tlogBytes: bytes.length, tlogSha256: sha(bytes), notes: '' });
        });
      }
      const all = await list(pilot);
      expect(all.total).toBe(referenceFlights(VTOL).length + referenceFlights(COPTER).length);
      // Newest first.
      expect(all.flights.map((f) => f.start)).toEqual([...all.flights.map((f) => f.start)].sort().reverse());
      await waitFor('flight pushes', () => pilotConsole.of<FlightView>('flight.changed').length >= all.total);
      await securityConsole.sync();
      expect(securityConsole.of('flight.changed')).toEqual([]);
    } finally {
      pilotConsole.ws.close();
      securityConsole.ws.close();
    }
  });

  it('refuses what is not a flight log with a clear 4xx, and the same file twice', async () => {
    const notTlog = await upload(RAW_V2);
    expect(notTlog.status).toBe(422);
    expect(notTlog.json.error).toMatch(/not a tlog: no MAVLink records found/);
    const junk = await upload(Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)));
    expect(junk.status).toBe(422);
    const text = await upload('hello, this is a text file\n'.repeat(100), '', pilot, 'application/octet-stream');
    expect(text.status).toBe(422);
    // Records, but the vehicle never flew: the copter log up to just before it was armed.
    const armedAtUs = BigInt(Date.parse('2013-10-13T22:01:11Z')) * 1000n;
    const { records } = parseTlog(COPTER);
    const cut = records.findIndex((r) => r.timeUs >= armedAtUs);
    expect(cut).toBeGreaterThan(100);
    const ground = COPTER.subarray(0, records[cut]!.offset);
    const noFlight = await upload(ground);
    expect(noFlight.status).toBe(422);
    expect(noFlight.json.error).toMatch(/no flight found in this tlog \(\d+ MAVLink records/);
    expect((await upload(Buffer.alloc(0))).status).toBe(400);
    const json = await upload(JSON.stringify({ file: 'x' }), '', pilot, 'application/json');
    expect(json.status).toBe(415);
    expect(json.json.error).toMatch(/application\/octet-stream/);
    const again = await upload(VTOL);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatch(/already in the logbook/);
    expect((await upload(COPTER, '?site=no-such-site')).status).toBe(400);
    expect((await list(pilot)).total).toBe(referenceFlights(VTOL).length + referenceFlights(COPTER).length);
  });

  it('an upload declared larger than 64 MB is refused with 413 before it is read', async () => {
    const u = new URL('/api/flights/upload', hub.url);
    const status = await new Promise<number>((resolve) => {
      const req = httpRequest({
        host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(64 * 1024 * 1024 + 1), cookie: pilot.cookie! },
      }, (res) => { res.resume(); resolve(res.statusCode ?? 0); req.destroy(); });
      req.on('error', () => undefined); // the hub may close the socket while this side still "sends"
      req.write(Buffer.alloc(64 * 1024));
    });
    expect(status).toBe(413);
    expect((await admin.request('GET', '/api/health')).status).toBe(200);
  });

  it('filters by site, pilot, vehicle and date', async () => {
    const vtolDay = '2018-08-08';
    const copterDay = '2013-10-13';
    const n = (q: string) => list(operator, q).then((r) => r.flights.length);
    const vtol = referenceFlights(VTOL).length;
    const copter = referenceFlights(COPTER).length;
    expect(await n(`?site=${siteId}`)).toBe(vtol);
    expect(await n('?pilot=ILZ')).toBe(vtol + copter);
    expect(await n('?pilot=nobody')).toBe(0);
    expect(await n('?vehicle=1')).toBe(vtol + copter);
    expect(await n('?vehicle=2')).toBe(0);
    expect(await n('?vehicle=quad')).toBe(copter);
    expect(await n(`?from=${vtolDay}`)).toBe(vtol);
    expect(await n(`?to=${copterDay}`)).toBe(copter); // a bare date runs to the end of that day
    expect(await n(`?from=${copterDay}&to=${copterDay}`)).toBe(copter);
    expect(await n('?from=2014-01-01T00:00:00Z&to=2018-01-01T00:00:00Z')).toBe(0);
    const bad = await operator.request('GET', '/api/flights?from=last-tuesday');
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toMatch(/not a date/);
  });

  it('a pilot sets pilot and notes; the change shows, is pushed and is audited; operators may not edit', async () => {
    const [flight] = (await list(pilot, `?site=${siteId}`)).flights;
    const watch = await consoleSocket(hub.url, pilot);
    try {
      const edited = await pilot.json<FlightView>('PATCH', `/api/flights/${flight!.id}`, { pilot: 'Jānis Bērziņš', notes: 'Survey of the north field, wind 4 m/s.' });
      expect(edited).toMatchObject({ id: flight!.id, pilot: 'Jānis Bērziņš', notes: 'Survey of the north field, wind 4 m/s.' });
      expect((await list(operator, '?pilot=bērziņš')).flights.map((f) => f.id)).toEqual([flight!.id]);
      const detail = await operator.json<{ flight: FlightView; editedBy: string }>('GET', `/api/flights/${flight!.id}`);
      expect(detail.flight.notes).toBe('Survey of the north field, wind 4 m/s.');
      expect(detail.editedBy).toBe('ilze');
      await waitFor('pushed edit', () => watch.of<FlightView>('flight.changed').find((f) => f.pilot === 'Jānis Bērziņš'));
    } finally {
      watch.ws.close();
    }
    const audit = await admin.json<{ entries: { actor: string; action: string; target: string; details: Record<string, { from: unknown; to: unknown }> }[] }>('GET', '/api/audit?action=flight.edit');
    expect(audit.entries[0]).toMatchObject({ actor: 'ilze', action: 'flight.edit', target: flight!.id, details: { pilot: { from: 'ilze', to: 'Jānis Bērziņš' }, notes: { from: '', to: 'Survey of the north field, wind 4 m/s.' } } });
    expect((await admin.json<{ entries: unknown[] }>('GET', '/api/audit?action=flight.upload')).entries).toHaveLength(2);

    expect((await operator.request('PATCH', `/api/flights/${flight!.id}`, { notes: 'x' })).status).toBe(403);
    expect((await pilot.request('PATCH', `/api/flights/${flight!.id}`, { colour: 'red' })).status).toBe(400);
    expect((await pilot.request('PATCH', '/api/flights/fl_nonexistent', { notes: 'x' })).status).toBe(404);
  });

  it('the flight page data: summary, takeoff and landing, a thinned track whose peak is the flight\'s', async () => {
    const [flight] = (await list(pilot, `?site=${siteId}`)).flights;
    const d = await pilot.json<{ flight: FlightView; takeoff: string; landing: string; track: { points: { timeMs: number; lat: number; lon: number; altRel: number }[]; total: number } }>('GET', `/api/flights/${flight!.id}`);
    expect(d.track.total).toBeGreaterThan(100);
    expect(d.track.points.length).toBeLessThanOrEqual(3000);
    expect(Math.max(...d.track.points.map((p) => p.altRel))).toBeCloseTo(flight!.maxHeightM, 1);
    expect(Date.parse(d.takeoff)).toBeGreaterThanOrEqual(Date.parse(flight!.start));
    expect(Date.parse(d.landing)).toBeLessThanOrEqual(Date.parse(flight!.end));
    expect((await pilot.request('GET', '/api/flights/fl_nonexistent')).status).toBe(404);
  });

  it('downloads the track as GeoJSON, KML and GPX with every point, and the tlog byte for byte', async () => {
    const [flight] = (await list(pilot, `?site=${siteId}`)).flights;
    const { track } = await pilot.json<{ track: { total: number } }>('GET', `/api/flights/${flight!.id}`);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });

    const geo = await send(operator, 'GET', `/api/flights/${flight!.id}/track.geojson`);
    expect(geo.status).toBe(200);
    expect(geo.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(geo.headers.get('content-disposition')).toMatch(/^attachment; filename="flight-20180808T\d{6}Z-sys1\.geojson"$/);
    const fc = geo.json as unknown as { features: { geometry: { type: string; coordinates: number[][] }; properties: Record<string, unknown> }[] };
    expect(fc.features[0]!.geometry.type).toBe('LineString');
    expect(fc.features[0]!.geometry.coordinates).toHaveLength(track.total);
    expect(fc.features[0]!.properties).toMatchObject({ pilot: 'Jānis Bērziņš', siteId, flightId: flight!.id });

    const kml = await send(pilot, 'GET', `/api/flights/${flight!.id}/track.kml`);
    expect(kml.headers.get('content-type')).toMatch(/^application\/vnd\.google-earth\.kml\+xml/);
    expect(kml.headers.get('content-disposition')).toMatch(/\.kml"$/);
    const placemark = xml.parse(kml.bytes.toString()).kml.Document.Placemark;
    expect(String(placemark.LineString.coordinates).trim().split(/\s+/)).toHaveLength(track.total);

    const gpx = await send(pilot, 'GET', `/api/flights/${flight!.id}/track.gpx`);
    expect(gpx.headers.get('content-type')).toMatch(/^application\/gpx\+xml/);
    expect(gpx.headers.get('content-disposition')).toMatch(/\.gpx"$/);
    const pts = xml.parse(gpx.bytes.toString()).gpx.trk.trkseg.trkpt as { lat: string; lon: string; ele: number; time: string }[];
    expect(pts).toHaveLength(track.total);
    expect(pts[0]!.time.startsWith('2018-08-08T')).toBe(true);

    const tlog = await send(pilot, 'GET', `/api/flights/${flight!.id}/tlog`);
    expect(tlog.status).toBe(200);
    expect(tlog.headers.get('content-type')).toBe('application/octet-stream');
    expect(tlog.headers.get('content-disposition')).toMatch(/\.tlog"$/);
    expect(tlog.headers.get('x-content-sha256')).toBe(sha(VTOL));
    expect(sha(tlog.bytes)).toBe(sha(VTOL));
  });

  it('security staff cannot see or touch the logbook; operators cannot upload', async () => {
    const [flight] = (await list(pilot)).flights;
    for (const path of ['/api/flights', `/api/flights/${flight!.id}`, `/api/flights/${flight!.id}/tlog`, `/api/flights/${flight!.id}/track.gpx`, '/api/vehicles']) {
      expect((await security.request('GET', path)).status, path).toBe(403);
    }
    const refused = await upload(COPTER, '', security);
    expect(refused.status).toBe(403);
    // Its body was never read: the connection closes, so it cannot hold up the hub's shutdown (afterAll).
    expect(refused.headers.get('connection')).toBe('close');
    expect((await upload(COPTER, '', operator)).status).toBe(403);
  });
});

describe('drones through the agent link', () => {
  const dir = tempDir('drone-link');
  let hub: RunningHub;
  let admin: HubClient;
  let pilot: HubClient;

  beforeAll(async () => {
    ({ hub, admin } = await hubWithAdmin(dir.path));
    pilot = await userWithRole(admin, 'ilze', 'pilot');
  });
  afterAll(async () => { await hub?.close(); dir.remove(); });

  it('live vehicles, link lost and back as alerts, a corrupt flight log reported and not filed', async () => {
    const { site, agent, enrolmentToken } = await admin.createSite('Riverside');
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/agent/ws`, { headers: { authorization: `Bearer ${enrolmentToken}` } });
    const got: { type: string; body: { seq?: number } }[] = [];
    ws.on('message', (d) => got.push(JSON.parse(d.toString()) as { type: string; body: { seq?: number } }));
    await once(ws, 'open');
    const msg = (type: string, body: unknown, extra: object = {}) => ws.send(JSON.stringify({ v: 1, type, ts: new Date().toISOString(), body, ...extra }));
    let seq = 0;
    const event = async (kind: string, data: unknown) => {
      msg('event', { kind, at: new Date().toISOString(), data }, { seq: ++seq });
      const want = seq;
      await waitFor(`ack ${want}`, () => got.some((m) => m.type === 'ack' && m.body.seq === want));
    };
    msg('hello', { agentName: 'raw', version: 'test', hostname: 'field', lastSeq: 0 });
    await waitFor('welcome', () => got.find((m) => m.type === 'welcome'));

    const t: VehicleTelemetry = {
      vehicleKey: 'sys1', systemId: 1, autopilot: 'ardupilotmega', vehicleType: 'quadrotor', linkUp: true, lastHeartbeatAt: new Date().toISOString(),
      armed: true, mode: 'AUTO', lat: 56.95, lon: 24.1, altRelM: 35, updatedAt: new Date().toISOString(),
    };
    msg('vehicles', { vehicles: [t] });
    const live = await waitFor('vehicle listed', async () => (await pilot.json<VehicleView[]>('GET', '/api/vehicles')).find((v) => v.agentId === agent.id));
    expect(live).toMatchObject({ siteId: site.id, current: true, telemetry: { systemId: 1, armed: true, altRelM: 35 } });

    await event('vehicle.link', { vehicleKey: 'sys1', systemId: 1, autopilot: 'ardupilotmega', vehicleType: 'quadrotor', state: 'lost', lastHeartbeatAt: t.lastHeartbeatAt });
    const open = await admin.json<{ alerts: Alert[] }>('GET', '/api/alerts?open=true');
    expect(open.alerts.find((a) => a.kind === 'vehicle.link-lost')).toMatchObject({ severity: 'critical', siteId: site.id, title: 'Link to quadrotor sys1 lost at Riverside' });
    await event('vehicle.link', { vehicleKey: 'sys1', systemId: 1, autopilot: 'ardupilotmega', vehicleType: 'quadrotor', state: 'back', lastHeartbeatAt: new Date().toISOString() });
    const after = await admin.json<{ alerts: Alert[] }>('GET', '/api/alerts');
    expect(after.alerts.find((a) => a.kind === 'vehicle.link-lost')?.resolvedAt).toBeDefined();
    expect(after.alerts.find((a) => a.kind === 'vehicle.link-back')).toBeDefined();

    for (const c of chunksOf(COPTER, 200_000, { badSha: true })) await event('flight.log', c);
    const rejected = (await admin.json<{ alerts: Alert[] }>('GET', '/api/alerts?open=true')).alerts.find((a) => a.kind === 'flight-log.rejected');
    expect(rejected?.detail).toMatch(/SHA-256 mismatch/);
    expect((await pilot.json<{ total: number }>('GET', `/api/flights?site=${site.id}`)).total).toBe(0);

    ws.close();
    await waitFor('vehicle no longer current', async () => (await pilot.json<VehicleView[]>('GET', '/api/vehicles')).find((v) => v.agentId === agent.id)?.current === false);
  });

  it('a flight log sent through a real agent outbox arrives whole across a hub restart', async () => {
    const { site, agent: agentView, enrolmentToken } = await admin.createSite('Hilltop');
    const agentDir = tempDir('drone-agent');
    const { agent } = await testAgent(hub.url, enrolmentToken, agentDir.path);
    try {
      await waitFor('agent connected', () => agent.link.state === 'connected');
      const chunks = chunksOf(VTOL, 128 * 1024);
      const half = Math.floor(chunks.length / 2);
      for (const c of chunks.slice(0, half)) await agent.emit('flight.log', c);
      const stored = async () => (await admin.json<{ event: { kind: string } }[]>('GET', `/api/agents/${agentView.id}/events?limit=5000`)).filter((e) => e.event.kind === 'flight.log').length;
      await waitFor('first half stored', async () => (await stored()) === half);

      const port = Number(new URL(hub.url).port);
      await hub.close();
      // The rest is recorded while the hub is away: it waits in the agent's outbox.
      for (const c of chunks.slice(half)) await agent.emit('flight.log', c);
      hub = await startHub({ dataDir: dir.path, port, consoleDir, logger: capturedLogger('hub').logger });

      const flights = await waitFor('flight filed after the hub returned', async () => {
        const r = await pilot.json<{ flights: FlightView[] }>('GET', `/api/flights?site=${site.id}`);
        return r.flights.length ? r.flights : undefined;
      }, 30_000);
      const ref = referenceFlights(VTOL);
      expect(flights).toHaveLength(ref.length);
      expect(flights[0]).toMatchObject({ source: 'agent', agentId: agentView.id, siteId: site.id, tlogSha256: sha(VTOL), tlogBytes: VTOL.length, pilot: null });
      expect(Math.abs(flights[0]!.durationS - (ref[0]!.end - ref[0]!.start) / 1000)).toBeLessThan(1);
      const res = await fetch(new URL(`/api/flights/${flights[0]!.id}/tlog`, hub.url), { headers: { cookie: pilot.cookie! } });
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(VTOL));
    } finally {
      await agent.stop();
      agentDir.remove();
    }
  });
});
