// Run *inside a network namespace* by test/e2e/discovery-agent-netns.test.ts: it sends multicast
// probes, which must never reach a real network. Starts two simulated cameras plus a quirky device
// (answers twice, lists link-local, 0.0.0.0 and stale addresses, and sends a junk datagram), then
// runs the agent's discoverCameras and `sargs camera discover --json`, printing one JSON line.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { discoverCameras } from '@sargs/agent/cameras/discovery';
import { DISCOVERY_GROUP, DISCOVERY_PORT } from '@sargs/sim/camera/discovery-responder';
import { SimulatedCamera } from '@sargs/sim/camera/index';

const repoRoot = resolve(import.meta.dirname, '..', '..');

function assertIsolatedNamespace(): void {
  const interfaces = readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2)
    .map((l) => l.split(':')[0]?.trim()).filter(Boolean);
  if (interfaces.length !== 1 || interfaces[0] !== 'lo') {
    console.error(`discovery-agent-probe.ts sends multicast; refusing with interfaces ${interfaces.join(', ')}: run it via \`ip netns exec <test namespace>\``);
    process.exit(3);
  }
}

/** A device that answers each probe twice (as cameras on two interfaces do), with a junk datagram in between. */
async function quirkyDevice(endpointReference: string, xaddrs: string[]): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const reply = '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ' +
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><SOAP-ENV:Header>' +
    // The same MessageID in both answers: a firmware quirk the design notes mention.
    '<wsa:MessageID>urn:uuid:11111111-2222-3333-4444-555555555555</wsa:MessageID>' +
    '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header>' +
    '<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>' +
    `<wsa:EndpointReference><wsa:Address>${endpointReference}</wsa:Address></wsa:EndpointReference>` +
    '<d:Types>dn:NetworkVideoTransmitter</d:Types>' +
    '<d:Scopes MatchBy="http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc3986">onvif://www.onvif.org/name/Quirky%20Cam%20%C3%A9 ' +
    'onvif://www.onvif.org/hardware/QC-1 onvif://www.onvif.org/location/city/Riga</d:Scopes>' +
    `<d:XAddrs>${xaddrs.join(' ')}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>` +
    '</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>';
  socket.on('message', (msg, rinfo) => {
    if (!msg.toString('utf8').includes('Probe</')) return;
    socket.send(reply, rinfo.port, rinfo.address);
    socket.send('<not-soap>junk</', rinfo.port, rinfo.address);
    setTimeout(() => socket.send(reply, rinfo.port, rinfo.address), 50);
  });
  await new Promise<void>((done) => socket.bind(DISCOVERY_PORT, '0.0.0.0', done));
  socket.addMembership(DISCOVERY_GROUP, '127.0.0.1');
  return socket;
}

function cliDiscover(): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli/src/main.ts'), 'camera', 'discover', '--json', '--timeout', '2'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('close', (code) => done({ code, out, err }));
  });
}

assertIsolatedNamespace();
const cameras: SimulatedCamera[] = [];
let quirky: Socket | undefined;
try {
  for (const name of ['Netns Gate', 'Netns Yard']) {
    cameras.push(await SimulatedCamera.start({ name, username: 'admin', password: 'pw', discovery: { interface: '127.0.0.1' } }));
  }
  const quirkyRef = `urn:uuid:${randomUUID()}`;
  const quirkyXAddrs = [
    'http://169.254.10.10/onvif/device_service', 'http://0.0.0.0/onvif/device_service', 'http://[fe80::1]/onvif/device_service',
    // A stale DHCP lease: no route to it in this namespace, so it must not be chosen.
    'http://10.255.255.1/onvif/device_service',
    cameras[0]!.deviceServiceUrl,
  ];
  quirky = await quirkyDevice(quirkyRef, quirkyXAddrs);
  const found = await discoverCameras({ timeoutMs: 2500 });
  const cli = await cliDiscover();
  const result = {
    cameras: cameras.map((c) => ({ endpointReference: c.endpointReference, xaddr: c.deviceServiceUrl, name: c.name })),
    quirky: { endpointReference: quirkyRef, xaddrs: quirkyXAddrs },
    found,
    cli,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  quirky?.close();
  await Promise.allSettled(cameras.map((c) => c.stop()));
}
