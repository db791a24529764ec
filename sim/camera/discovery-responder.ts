// WS-Discovery (2005/04, as ONVIF uses it) target service: answers multicast Probes with a unicast ProbeMatches.
// It never sends multicast itself (no Hello/Bye), so a camera started outside a test namespace stays silent.
import { randomUUID } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { child, detectSoapVersion, escapeXml as x, parseXml, SOAP11_NS, SOAP12_NS, text, type SoapVersion } from './soap';
import { httpBase, DEVICE_PATH, type CameraState } from './state';

export const DISCOVERY_GROUP = '239.255.255.250';
export const DISCOVERY_PORT = 3702;
const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const WSD = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
/** The types we are, by local name; probes name them with whatever prefix they like. */
const OUR_TYPES = new Set(['NetworkVideoTransmitter', 'Device']);
const MAX_DATAGRAM = 64 * 1024;

export interface DiscoveryOptions {
  state: CameraState;
  /** Local interface address to join the multicast group on. */
  interfaceAddress?: string;
  port?: number;
}

export function scopesOf(state: CameraState): string[] {
  const enc = (s: string): string => encodeURIComponent(s);
  return [
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/Profile/Streaming',
    `onvif://www.onvif.org/name/${enc(state.name)}`,
    `onvif://www.onvif.org/hardware/${enc(state.model)}`,
    `onvif://www.onvif.org/location/${enc(state.location)}`,
  ];
}

export class DiscoveryResponder {
  private socket: Socket | undefined;
  private readonly instanceId = Math.floor(Date.now() / 1000);
  private messageNumber = 0;

  constructor(private readonly opts: DiscoveryOptions) {}

  async start(): Promise<void> {
    // reuseAddr: every simulated camera in the namespace binds 3702 and each gets a copy of each probe.
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.port ?? DISCOVERY_PORT, '0.0.0.0', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.addMembership(DISCOVERY_GROUP, this.opts.interfaceAddress ?? '127.0.0.1');
    } catch (err) {
      socket.close();
      throw err;
    }
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (msg.length > MAX_DATAGRAM) return;
    const xml = msg.toString('utf8');
    const version = detectSoapVersion(xml);
    if (!version) return;
    let doc;
    try {
      doc = parseXml(xml);
    } catch {
      return;
    }
    const envelope = child(doc, 'Envelope');
    const probe = child(child(envelope, 'Body'), 'Probe');
    // Hello, Bye and other cameras' traffic also arrive here; only Probes get an answer.
    if (!probe) return;
    const messageId = text(child(envelope, 'Header'), 'MessageID');
    if (!this.matches(text(probe, 'Types') ?? '', text(probe, 'Scopes') ?? '')) return;
    const reply = Buffer.from(this.probeMatches(version, messageId));
    this.socket?.send(reply, rinfo.port, rinfo.address);
  }

  private matches(types: string, scopes: string): boolean {
    const wantedTypes = types.split(/\s+/).filter(Boolean).map((t) => t.slice(t.lastIndexOf(':') + 1));
    if (!wantedTypes.every((t) => OUR_TYPES.has(t))) return false;
    const ours = scopesOf(this.opts.state);
    // RFC 3986 scope matching (the default MatchBy): whole path segments, as a prefix.
    return scopes.split(/\s+/).filter(Boolean).every((wanted) => {
      const prefix = wanted.endsWith('/') ? wanted : `${wanted}/`;
      return ours.some((s) => s === wanted || s.startsWith(prefix));
    });
  }

  private probeMatches(version: SoapVersion, relatesTo: string | undefined): string {
    const { state } = this.opts;
    const env = version === '1.2' ? SOAP12_NS : SOAP11_NS;
    this.messageNumber += 1;
    return '<?xml version="1.0" encoding="UTF-8"?>' +
      `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${env}" xmlns:wsa="${WSA}" xmlns:d="${WSD}" ` +
      'xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">' +
      '<SOAP-ENV:Header>' +
      `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
      (relatesTo ? `<wsa:RelatesTo>${x(relatesTo)}</wsa:RelatesTo>` : '') +
      `<wsa:To SOAP-ENV:mustUnderstand="true">${WSA}/role/anonymous</wsa:To>` +
      `<wsa:Action SOAP-ENV:mustUnderstand="true">${WSD}/ProbeMatches</wsa:Action>` +
      `<d:AppSequence SOAP-ENV:mustUnderstand="true" MessageNumber="${this.messageNumber}" InstanceId="${this.instanceId}"/>` +
      '</SOAP-ENV:Header><SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>' +
      `<wsa:EndpointReference><wsa:Address>${x(state.endpointReference)}</wsa:Address></wsa:EndpointReference>` +
      '<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>' +
      `<d:Scopes>${x(scopesOf(state).join(' '))}</d:Scopes>` +
      `<d:XAddrs>${x(`${httpBase(state)}${DEVICE_PATH}`)}</d:XAddrs>` +
      '<d:MetadataVersion>1</d:MetadataVersion>' +
      '</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>';
  }
}
