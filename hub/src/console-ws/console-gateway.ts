import { CONSOLE_WS_PATH, ConsoleToHub, HubToConsole, createDecoder, envelope } from '@sargs/shared';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { AlertEngine } from '../alerts/alert-engine';
import type { Fleet } from '../fleet/fleet';

const decode = createDecoder(ConsoleToHub);
const MAX_BAD_MESSAGES = 50;

interface ConsoleClient { ws: WebSocket; username: string; sessionToken: string; role: string }

/**
 * Pushes the fleet to signed-in consoles. The session cookie is checked by the access
 * hook before the upgrade; signing out or removing a user closes their sockets.
 */
export class ConsoleGateway {
  private readonly clients = new Set<ConsoleClient>();

  constructor(private readonly deps: { fleet: Fleet; log: FastifyBaseLogger; alerts?: AlertEngine }) {
    deps.fleet.on('agent', (view) => this.broadcast(envelope(HubToConsole, 'agent.changed', view)));
    deps.fleet.on('site', (view) => this.broadcast(envelope(HubToConsole, 'site.changed', view)));
    deps.fleet.on('camera', (view) => this.broadcast(envelope(HubToConsole, 'camera.changed', view)));
    // Alerts are IT staff's business (the same roles that may read GET /api/alerts).
    deps.alerts?.on('alert', (change) => this.broadcast(envelope(HubToConsole, 'alert.changed', change), (c) => c.role === 'admin' || c.role === 'operator'));
  }

  register(app: FastifyInstance): void {
    app.get(CONSOLE_WS_PATH, { websocket: true, config: { access: 'signed-in' } }, (ws, req) => {
      const client: ConsoleClient = { ws, username: req.user?.username ?? '', sessionToken: req.sessionToken ?? '', role: req.user?.role ?? '' };
      this.clients.add(client);
      let bad = 0;
      ws.on('close', () => this.clients.delete(client));
      ws.on('error', () => this.clients.delete(client));
      ws.on('message', (data, isBinary) => {
        const r = isBinary ? { ok: false as const, reason: 'binary frames are not part of the protocol' } : decode(data as Buffer);
        if (!r.ok) {
          this.deps.log.warn({ user: client.username, reason: r.reason }, 'rejected console message');
          ws.send(envelope(HubToConsole, 'error', { reason: r.reason }));
          if (++bad >= MAX_BAD_MESSAGES) ws.close(1008, 'too many invalid messages');
          return;
        }
        if (r.message.type === 'ping') ws.send(envelope(HubToConsole, 'pong', {}));
      });
      void this.deps.fleet.snapshot().then((snap) => {
        if (ws.readyState === ws.OPEN) ws.send(envelope(HubToConsole, 'fleet.snapshot', snap));
      });
    });
  }

  closeSession(sessionToken: string): void {
    for (const c of this.clients) if (c.sessionToken === sessionToken) c.ws.close(4401, 'signed out');
  }

  closeUser(username: string): void {
    for (const c of this.clients) if (c.username === username) c.ws.close(4401, 'user removed');
  }

  closeAll(): void {
    for (const c of this.clients) c.ws.close(1001, 'hub shutting down');
  }

  /**
   * Pushes one message to every signed-in console whose role is listed (all roles when
   * none are), so hub components (vehicles, flights, lighting) need not edit this class.
   */
  publish<K extends keyof typeof HubToConsole & string>(type: K, body: Parameters<typeof envelope<typeof HubToConsole, K>>[2], roles?: readonly string[]): void {
    this.broadcast(envelope(HubToConsole, type, body), roles ? (c) => roles.includes(c.role) : undefined);
  }

  private broadcast(text: string, to: (c: ConsoleClient) => boolean = () => true): void {
    for (const c of this.clients) if (c.ws.readyState === c.ws.OPEN && to(c)) c.ws.send(text);
  }
}
