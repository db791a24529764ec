// The camera's HTTP side: SOAP endpoints for the device and media services, plus the snapshot.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { checkUsernameToken } from './auth';
import { deviceOperations, PUBLIC_OPERATIONS, type CameraActions, type Operation } from './device-service';
import { mediaOperations } from './media-service';
import { contentType, envelope, faultEnvelope, faults, parseSoapRequest, SoapParseError, type Fault, type SoapVersion } from './soap';
import { cameraNow, DEVICE_PATH, MEDIA_PATH, type CameraState } from './state';

export const MAX_BODY_BYTES = 1024 * 1024;

const SERVICES: Record<string, Record<string, Operation>> = {
  [DEVICE_PATH]: deviceOperations,
  [MEDIA_PATH]: mediaOperations,
};

export interface OnvifServerOptions {
  /** Address to bind; the port comes from `state.onvifPort` (0 = ephemeral, then kept for restarts). */
  bindHost: string;
  state: CameraState;
  /** JPEG by path: one per profile. */
  snapshots: Record<string, Buffer>;
  maxBodyBytes?: number;
  /** What operations may ask of the streams; absent: no keyframes on demand. */
  actions?: CameraActions;
}

class BodyTooLarge extends Error {}

const NO_ACTIONS: CameraActions = { keyframe: () => false };

export class OnvifServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: OnvifServerOptions) {}

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Starts listening; resolves with the bound port, which is stored in `state.onvifPort`. */
  async listen(): Promise<number> {
    if (this.server) return this.opts.state.onvifPort;
    const server = createServer((req, res) => {
      // A bug in an operation must show up as a fault to the client, not crash the test run.
      this.handle(req, res).catch((err: unknown) => {
        if (res.headersSent) { res.destroy(); return; }
        this.sendFault(res, soapVersionOf(req), { status: 500, code: 'Receiver', subcodes: [], reason: String(err) });
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.state.onvifPort, this.opts.bindHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('ONVIF server has no TCP address');
    this.server = server;
    this.opts.state.onvifPort = address.port;
    return address.port;
  }

  /** Stops listening and drops every open connection, like a camera whose web server died. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://camera').pathname;
    const snapshot = Object.hasOwn(this.opts.snapshots, path) ? this.opts.snapshots[path] : undefined;
    if (snapshot && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': snapshot.length });
      res.end(req.method === 'GET' ? snapshot : undefined);
      return;
    }
    const operations = SERVICES[path];
    if (!operations || req.method !== 'POST') {
      res.writeHead(operations ? 405 : 404, { 'Content-Type': 'text/plain' });
      res.end(operations ? 'POST a SOAP envelope\n' : 'not found\n');
      return;
    }
    const limit = this.opts.maxBodyBytes ?? MAX_BODY_BYTES;
    let xml: string;
    try {
      xml = await readBody(req, limit);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) return;
      // Close afterwards: the rest of the oversized body is still on the wire.
      res.on('finish', () => req.socket.destroy());
      this.sendFault(res, soapVersionOf(req), faults.tooLarge(limit), true);
      return;
    }
    this.answer(res, xml, operations, soapVersionOf(req));
  }

  private answer(res: ServerResponse, xml: string, operations: Record<string, Operation>, fallback: SoapVersion): void {
    let request;
    try {
      request = parseSoapRequest(xml);
    } catch (err) {
      const why = err instanceof SoapParseError ? err.message : 'unreadable request';
      this.sendFault(res, fallback, faults.wellFormed(why));
      return;
    }
    const { state } = this.opts;
    const operation = Object.hasOwn(operations, request.operation) ? operations[request.operation] : undefined;
    if (!operation) {
      this.sendFault(res, request.version, faults.actionNotSupported(request.operation));
      return;
    }
    if (!PUBLIC_OPERATIONS.has(request.operation)) {
      const auth = checkUsernameToken(request.header, state, cameraNow(state));
      if (!auth.ok) {
        this.sendFault(res, request.version, faults.notAuthorized());
        return;
      }
    }
    const result = operation(request, state, this.opts.actions ?? NO_ACTIONS);
    if (typeof result !== 'string') {
      this.sendFault(res, request.version, result);
      return;
    }
    const body = envelope(request.version, result);
    res.writeHead(200, { 'Content-Type': contentType(request.version), 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  private sendFault(res: ServerResponse, version: SoapVersion, fault: Fault, close = false): void {
    const body = faultEnvelope(version, fault);
    res.writeHead(fault.status, {
      'Content-Type': contentType(version),
      'Content-Length': Buffer.byteLength(body),
      ...(close ? { Connection: 'close' } : {}),
    });
    res.end(body);
  }
}

/** SOAP 1.1 travels as text/xml, SOAP 1.2 as application/soap+xml; used only when the body can't tell us. */
function soapVersionOf(req: IncomingMessage): SoapVersion {
  return (req.headers['content-type'] ?? '').startsWith('text/xml') ? '1.1' : '1.2';
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}
