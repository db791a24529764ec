// Tiny HTTP servers on 127.0.0.1 that play a camera the simulator cannot: one answering every ONVIF
// operation with a real camera's captured reply (test/fixtures/onvif/<vendor>), and hostile ones.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fixturesDir } from '../support/paths';

export const ONVIF_FIXTURES = join(fixturesDir, 'onvif');

export interface FakeServer {
  url: string;
  /** Operations asked for, in order (local name of the first Body element). */
  operations: string[];
  /** The profile token each request named, in the same order (undefined where it named none). */
  profileTokens: (string | undefined)[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, operation: string) => void;

export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const operations: string[] = [];
  const profileTokens: (string | undefined)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const xml = Buffer.concat(chunks).toString('utf8');
      const op = operationOf(xml);
      operations.push(op);
      profileTokens.push(/<(?:[\w.-]+:)?ProfileToken>([^<]*)</.exec(xml)?.[1]);
      handler(req, res, op);
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/onvif/device_service`,
    operations,
    profileTokens,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export function operationOf(xml: string): string {
  return /<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([\w]+)/.exec(xml)?.[1] ?? '';
}

export interface FixtureCameraOptions {
  /** Keep the capture's own (years old) clock instead of stamping the current time. */
  originalClock?: boolean;
  /** Operation → file name under the vendor folder, e.g. `core/GetDeviceInformation.Error.xml`. */
  override?: Record<string, string>;
  /** Doctors a reply before it is sent, for variants the captures lack. */
  transform?: (operation: string, body: string) => string;
}

/** Answers each operation with the vendor's captured reply; faults as the capture does; ActionNotSupported otherwise. */
export function fixtureCamera(vendor: string, opts: FixtureCameraOptions = {}): Promise<FakeServer> {
  const dir = join(ONVIF_FIXTURES, vendor);
  const find = (op: string): { body: string; fault: boolean } | undefined => {
    const override = opts.override?.[op];
    const candidates = override ? [override] : ['core', 'media', 'events'].flatMap((d) => [`${d}/${op}.Response.xml`, `${d}/${op}.Error.xml`]);
    const file = candidates.find((f) => existsSync(join(dir, f)));
    return file ? { body: readFileSync(join(dir, file), 'utf8'), fault: file.endsWith('.Error.xml') } : undefined;
  };
  return startFakeServer((_req, res, op) => {
    const found = find(op);
    let body = found?.body ?? actionNotSupported(op);
    if (op === 'GetSystemDateAndTime' && !opts.originalClock) body = stampUtc(body, new Date());
    if (opts.transform) body = opts.transform(op, body);
    res.writeHead(found && !found.fault ? 200 : 400, { 'Content-Type': 'application/soap+xml; charset=utf-8' });
    res.end(body);
  });
}

/** Rewrites the UTCDateTime block of a GetSystemDateAndTime reply to `now`. */
export function stampUtc(xml: string, now: Date): string {
  const values: Record<string, number> = {
    Hour: now.getUTCHours(), Minute: now.getUTCMinutes(), Second: now.getUTCSeconds(),
    Year: now.getUTCFullYear(), Month: now.getUTCMonth() + 1, Day: now.getUTCDate(),
  };
  return xml.replace(/(<(?:\w+:)?UTCDateTime>)([\s\S]*?)(<\/(?:\w+:)?UTCDateTime>)/, (_all, open: string, inner: string, close: string) =>
    open + inner.replace(/<((?:\w+:)?(Hour|Minute|Second|Year|Month|Day))>\d+</g, (_m, tag: string, name: string) => `<${tag}>${values[name]}<`) + close);
}

function actionNotSupported(op: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value>' +
    '<env:Subcode><env:Value>ter:ActionNotSupported</env:Value></env:Subcode></env:Code>' +
    `<env:Reason><env:Text xml:lang="en">${op} is not supported</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`;
}
