// A TCP endpoint that listens (a ground station connects to it, like mavlink-router's
// TcpServerPort): every connection is a peer of its own, so a frame from one ground
// station reaches the others but never returns to its sender.

import net from 'node:net';
import { EndpointBase, type EndpointConfig, errorText } from './endpoint';
import { attachStream, TCP_QUEUE_LIMIT, type StreamPeer } from './stream-peer';

export class TcpServerEndpoint extends EndpointBase<EndpointConfig & { port: number }> {
  readonly kind = 'tcp-server' as const;
  private server: net.Server | undefined;
  private readonly clients = new Map<net.Socket, StreamPeer>();


  async start(): Promise<void> {
    this.stopped = false;
    await this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retry.cancel();
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const [socket, peer] of this.clients) {
      peer.close();
      socket.destroy();
    }
    this.clients.clear();
    await closed;
  }

  protected link(): { up: boolean; peers: number } {
    return { up: this.server !== undefined, peers: this.clients.size };
  }

  get boundPort(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  private async open(): Promise<void> {
    const host = this.config.host ?? '0.0.0.0';
    const server = net.createServer((socket) => this.accepted(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.lastError = errorText(err);
      const delay = this.retry.schedule(() => void this.open());
      this.deps.log.error({ host, port: this.config.port, err: this.lastError, retryInMs: delay }, 'cannot listen on tcp server endpoint');
      return;
    }
    if (this.stopped) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return;
    }
    server.on('error', (err) => this.deps.log.warn({ err: errorText(err) }, 'tcp server error'));
    this.server = server;
    this.retry.succeeded();
    this.deps.log.info({ host, port: this.boundPort }, 'tcp server endpoint listening');
  }

  private accepted(socket: net.Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const id = `${this.name}/${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const peer = attachStream(this.deps.router, socket, id, this.name, this.stats, TCP_QUEUE_LIMIT);
    this.clients.set(socket, peer);
    this.deps.log.info({ peer: id }, 'tcp client connected');
    socket.on('error', (err) => this.deps.log.debug({ peer: id, err: errorText(err) }, 'tcp client error'));
    socket.on('close', () => {
      peer.close();
      if (this.clients.delete(socket)) this.deps.log.info({ peer: id }, 'tcp client disconnected');
    });
  }
}
