// A TCP endpoint that connects out (to SITL's port 5760, a companion computer, another
// router) and, whenever the connection fails or drops, connects again with backoff.

import net from 'node:net';
import { EndpointBase, type EndpointConfig, errorText } from './endpoint';
import { attachStream, TCP_QUEUE_LIMIT, type StreamPeer } from './stream-peer';

export class TcpClientEndpoint extends EndpointBase<EndpointConfig & { host: string; port: number }> {
  readonly kind = 'tcp-client' as const;
  private socket: net.Socket | undefined;
  private peer: StreamPeer | undefined;


  /** Resolves after the first attempt, connected or not (it keeps trying in the background). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retry.cancel();
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.destroy();
    await closed;
  }

  protected link(): { up: boolean; peers: number } {
    return { up: this.peer !== undefined, peers: this.peer !== undefined ? 1 : 0 };
  }

  private connect(): Promise<void> {
    const { host, port } = this.config;
    return new Promise((resolve) => {
      const socket = net.connect({ host, port });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.retry.succeeded();
        this.lastError = undefined;
        this.peer = attachStream(this.deps.router, socket, `${this.name}/${host}:${port}`, this.name, this.stats, TCP_QUEUE_LIMIT);
        this.deps.log.info({ host, port }, 'tcp client endpoint connected');
        resolve();
      });
      socket.on('error', (err) => {
        this.lastError = errorText(err);
      });
      socket.once('close', () => {
        const wasUp = this.peer !== undefined;
        this.peer?.close();
        this.peer = undefined;
        resolve();
        if (this.stopped) return;
        const delay = this.retry.schedule(() => void this.connect());
        const fields = { host, port, err: this.lastError ?? 'closed by peer', retryInMs: delay };
        if (wasUp) this.deps.log.warn(fields, 'tcp client endpoint disconnected');
        // After the first failure, keep quiet: a ground station that is off is not news every few seconds.
        else if (this.retry.failures <= 1) this.deps.log.warn(fields, 'tcp client endpoint cannot connect');
        else this.deps.log.debug(fields, 'tcp client endpoint cannot connect');
      });
    });
  }
}
