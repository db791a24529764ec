// Run *inside a network namespace* by test/e2e/discovery-netns.test.ts: it sends multicast probes,
// which must never reach a real network. Starts two cameras with discovery, probes them with the
// onvif library (SOAP 1.2) and with a raw SOAP 1.1 probe, and prints one JSON line with what it found.
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
// Default import: onvif is CommonJS and Node's ESM loader cannot see its named exports.
import onvif, { type ProbeMatchData } from 'onvif';
import { DISCOVERY_GROUP, DISCOVERY_PORT } from './discovery-responder';
import { SimulatedCamera } from './index';
import { child, parseXml, text } from './soap';

const PROBE_WINDOW_MS = 3000;

interface Found { endpointReference: string; xaddrs: string; scopes: string; types: string; relatesTo?: string }

function libraryProbe(): Promise<Found[]> {
  return new Promise((resolve, reject) => {
    onvif.Discovery.probe({ timeout: PROBE_WINDOW_MS, resolve: false }, (err, found) => {
      if (err && !Array.isArray(err)) { reject(err); return; }
      resolve((found as ProbeMatchData[]).map(({ probeMatches: { probeMatch: m } }) => ({
        endpointReference: m.endpointReference.address, xaddrs: m.XAddrs, scopes: m.scopes, types: m.types,
      })));
    });
  });
}

/** A SOAP 1.1 probe without a Types filter, as some older clients send; stops early once `expected` cameras answered. */
function soap11Probe(expected: number): Promise<{ messageId: string; found: Found[] }> {
  const messageId = `urn:uuid:${randomUUID()}`;
  const probe = '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">' +
    `<soap:Header><wsa:MessageID>${messageId}</wsa:MessageID><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>` +
    '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action></soap:Header>' +
    '<soap:Body><d:Probe/></soap:Body></soap:Envelope>';
  const socket = createSocket('udp4');
  const found: Found[] = [];
  return new Promise((resolve, reject) => {
    const done = (): void => { clearTimeout(timer); socket.close(); resolve({ messageId, found }); };
    const timer = setTimeout(done, PROBE_WINDOW_MS);
    socket.on('error', (err) => { clearTimeout(timer); socket.close(); reject(err); });
    socket.on('message', (msg) => {
      const env = child(parseXml(msg.toString('utf8')), 'Envelope');
      const match = child(child(child(env, 'Body'), 'ProbeMatches'), 'ProbeMatch');
      if (!match) return;
      found.push({
        endpointReference: text(child(match, 'EndpointReference'), 'Address') ?? '',
        xaddrs: text(match, 'XAddrs') ?? '', scopes: text(match, 'Scopes') ?? '', types: text(match, 'Types') ?? '',
        relatesTo: text(child(env, 'Header'), 'RelatesTo'),
      });
      if (found.length >= expected) done();
    });
    socket.bind(0, () => socket.send(probe, DISCOVERY_PORT, DISCOVERY_GROUP));
  });
}

/**
 * Refuses to probe unless loopback is the only interface in this network namespace, so the
 * multicast cannot leave it. /proc/self/net/dev lists the interfaces of the caller's namespace.
 */
function assertIsolatedNamespace(): void {
  const interfaces = readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2)
    .map((l) => l.split(':')[0]?.trim()).filter(Boolean);
  if (interfaces.length !== 1 || interfaces[0] !== 'lo') {
    console.error(`discovery-probe.ts sends multicast; refusing with interfaces ${interfaces.join(', ')}: run it via \`ip netns exec <test namespace>\``);
    process.exit(3);
  }
}

assertIsolatedNamespace();
const cameras: SimulatedCamera[] = [];
try {
  for (const name of ['Netns Gate', 'Netns Yard']) {
    cameras.push(await SimulatedCamera.start({ name, username: 'admin', password: 'pw', discovery: { interface: '127.0.0.1' } }));
  }
  const library = await libraryProbe();
  const soap11 = await soap11Probe(cameras.length);
  const result = {
    cameras: cameras.map((c) => ({ endpointReference: c.endpointReference, xaddr: c.deviceServiceUrl, name: c.name })),
    library,
    soap11,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await Promise.allSettled(cameras.map((c) => c.stop()));
}
