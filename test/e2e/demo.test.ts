import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliProcess, type CliProcess } from '../support/cli-process';
import { HubClient } from '../support/hub-client';
import { tempDir } from '../support/paths';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

const soapTime = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>`;

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1');
  s.on('connect', () => { s.destroy(); resolve(false); });
  s.on('error', () => resolve(true));
});

describe('sargs demo', () => {
  const dir = tempDir('demo');
  let demo: CliProcess;
  const mavlink = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const frames: Buffer[] = [];

  beforeAll(async () => {
    mavlink.on('message', (m) => frames.push(m));
    mavlink.bind(0, '127.0.0.1');
    await once(mavlink, 'listening');
    const port = await freePort();
    demo = await startCliProcess(['demo', '--data', dir.path, '--port', String(port), '--mavlink-port', String(mavlink.address().port)], /Console: (\S+)/);
  });
  afterAll(async () => {
    await demo?.stop();
    mavlink.close();
    dir.remove();
  });

  it('starts a hub, an agent that comes online, four ONVIF cameras with RTSP and a drone sending MAVLink', async () => {
    const out = demo.output.join('\n');
    const cameras = [...out.matchAll(/ONVIF (\S+)\s+RTSP rtsp:\/\/127\.0\.0\.1:(\d+)/g)];
    expect(cameras).toHaveLength(4);
    for (const [, onvif] of cameras) {
      const r = await fetch(onvif!, { method: 'POST', headers: { 'content-type': 'application/soap+xml' }, body: soapTime });
      expect(await r.text()).toContain('GetSystemDateAndTimeResponse');
    }
    await waitFor('MAVLink frames from the drone', () => frames.length >= 10);
    expect([0xfe, 0xfd]).toContain(frames[0]![0]);

    const admin = new HubClient(demo.ready);
    await admin.signInFirstTime('admin', demo.adminPassword!, 'demo admin password');
    const fleet = await waitFor('the demo agent online', async () => {
      const f = await admin.json<{ sites: { name: string }[]; agents: { online: boolean; version: string | null }[] }>('GET', '/api/fleet');
      return f.agents[0]?.online ? f : undefined;
    });
    expect(fleet.sites.map((s) => s.name)).toEqual(['Demo parish administration']);
    // The agent onboarded and records all four cameras.
    await waitFor('four cameras online', async () => {
      const cams = await admin.json<{ health: { state: string } }[]>('GET', '/api/cameras');
      return cams.length === 4 && cams.every((c) => c.health.state === 'online');
    }, 30_000);
    expect(fleet.agents[0]!.version).toMatch(/^\d+\.\d+\.\d+/);

    // Ctrl-C ends everything it started: no camera is left listening.
    expect(await demo.stop('SIGINT')).toBe(0);
    for (const [, , rtspPort] of cameras) expect(await refused(Number(rtspPort))).toBe(true);
  });
});
