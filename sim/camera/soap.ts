// SOAP envelopes as real ONVIF cameras write them (see test/fixtures/onvif/*), in both
// SOAP 1.2 (what ONVIF requires) and SOAP 1.1 (what some clients and older cameras still send).
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

export type SoapVersion = '1.1' | '1.2';

/** A parsed XML element with namespace prefixes removed: child elements by local name, attributes as `@_name`, text as `#text`. */
export type XmlNode = { [key: string]: unknown };

export interface SoapRequest {
  version: SoapVersion;
  header: XmlNode;
  body: XmlNode;
  /** Local name of the first element inside Body, e.g. `GetProfiles`. */
  operation: string;
}

const NAMESPACES: Record<string, string> = {
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xsd: 'http://www.w3.org/2001/XMLSchema',
  wsa: 'http://www.w3.org/2005/08/addressing',
  tt: 'http://www.onvif.org/ver10/schema',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  ter: 'http://www.onvif.org/ver10/error',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
};

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Keep every value a string: tokens such as "0001" or passwords must not turn into numbers.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

export class SoapParseError extends Error {}

/** Parses any XML document into prefix-free nodes; throws SoapParseError if it is not well formed. */
export function parseXml(xml: string): XmlNode {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new SoapParseError(`malformed XML: ${valid.err.msg}`);
  return parser.parse(xml) as XmlNode;
}

/** Finds which SOAP version a document uses from the namespace bound to its Envelope's prefix. */
export function detectSoapVersion(xml: string): SoapVersion | undefined {
  const root = /<(?:([\w.-]+):)?Envelope\b([^>]*)>/.exec(xml);
  if (!root) return undefined;
  const prefix = root[1];
  const attrs = root[2] ?? '';
  const decl = prefix === undefined ? 'xmlns' : `xmlns:${prefix}`;
  const ns = new RegExp(`(?:^|\\s)${decl.replace('.', '\\.')}\\s*=\\s*["']([^"']*)["']`).exec(attrs)?.[1];
  if (ns === SOAP12_NS) return '1.2';
  if (ns === SOAP11_NS) return '1.1';
  return undefined;
}

export function child(node: unknown, name: string): XmlNode | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const value = (node as XmlNode)[name];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  // fast-xml-parser collapses elements without attributes or children to their text.
  if (typeof first === 'string') return { '#text': first };
  return first !== null && typeof first === 'object' ? (first as XmlNode) : undefined;
}

export function text(node: unknown, name?: string): string | undefined {
  const target = name === undefined ? node : (node as XmlNode | undefined)?.[name];
  const first = Array.isArray(target) ? (target[0] as unknown) : target;
  if (typeof first === 'string') return first;
  if (first !== null && typeof first === 'object') {
    const t = (first as XmlNode)['#text'];
    return typeof t === 'string' ? t : t === undefined ? '' : String(t);
  }
  return undefined;
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  const value = node?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

export function parseSoapRequest(xml: string): SoapRequest {
  const version = detectSoapVersion(xml);
  if (!version) throw new SoapParseError('not a SOAP envelope');
  const envelope = child(parseXml(xml), 'Envelope');
  const body = child(envelope, 'Body');
  if (!body) throw new SoapParseError('SOAP envelope has no Body');
  const operation = Object.keys(body).find((k) => !k.startsWith('@_') && k !== '#text');
  if (!operation) throw new SoapParseError('SOAP Body is empty');
  return { version, header: child(envelope, 'Header') ?? {}, body, operation };
}

export function escapeXml(value: string | number | boolean): string {
  return String(value).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function envelope(version: SoapVersion, body: string, header = ''): string {
  const env = version === '1.2' ? SOAP12_NS : SOAP11_NS;
  const xmlns = Object.entries(NAMESPACES).map(([p, uri]) => ` xmlns:${p}="${uri}"`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="${env}"${xmlns}>` +
    (header ? `<SOAP-ENV:Header>${header}</SOAP-ENV:Header>` : '') +
    `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

export function contentType(version: SoapVersion): string {
  return version === '1.2' ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8';
}

export interface Fault {
  /** HTTP status to answer with: cameras use 400 for client faults and 500 for receiver faults. */
  status: number;
  code: 'Sender' | 'Receiver';
  /** ONVIF error subcodes, outermost first, e.g. `['ter:NotAuthorized']`. */
  subcodes: string[];
  reason: string;
}

export const faults = {
  notAuthorized: (): Fault => ({
    status: 400, code: 'Sender', subcodes: ['ter:NotAuthorized'],
    reason: 'Sender not Authorized',
  }),
  actionNotSupported: (operation: string): Fault => ({
    status: 400, code: 'Receiver', subcodes: ['ter:ActionNotSupported'],
    reason: `Optional Action Not Implemented: ${operation}`,
  }),
  wellFormed: (why: string): Fault => ({
    status: 400, code: 'Sender', subcodes: ['ter:WellFormed'], reason: `Well-formed Error: ${why}`,
  }),
  tooLarge: (limit: number): Fault => ({
    status: 413, code: 'Sender', subcodes: ['ter:InvalidArgs'], reason: `Request body exceeds ${limit} bytes`,
  }),
  noProfile: (): Fault => ({
    status: 400, code: 'Sender', subcodes: ['ter:InvalidArgVal', 'ter:NoProfile'], reason: 'The requested profile token does not exist',
  }),
};

export function faultEnvelope(version: SoapVersion, fault: Fault): string {
  if (version === '1.1') {
    const code = fault.code === 'Sender' ? 'Client' : 'Server';
    return envelope(version, `<SOAP-ENV:Fault><faultcode>SOAP-ENV:${code}</faultcode>` +
      `<faultstring>${escapeXml(fault.reason)}</faultstring>` +
      `<detail><ter:Subcode>${fault.subcodes.join(' ')}</ter:Subcode></detail></SOAP-ENV:Fault>`);
  }
  const subcodes = fault.subcodes.reduceRight(
    (inner, sub) => `<SOAP-ENV:Subcode><SOAP-ENV:Value>${sub}</SOAP-ENV:Value>${inner}</SOAP-ENV:Subcode>`, '');
  return envelope(version, '<SOAP-ENV:Fault><SOAP-ENV:Code>' +
    `<SOAP-ENV:Value>SOAP-ENV:${fault.code}</SOAP-ENV:Value>${subcodes}</SOAP-ENV:Code>` +
    `<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">${escapeXml(fault.reason)}</SOAP-ENV:Text></SOAP-ENV:Reason>` +
    '</SOAP-ENV:Fault>');
}
