// A UDP endpoint that sends to one fixed address (a ground station's 14550, another
// router), like mavlink-router's "normal" UDP mode; what comes back to its socket is
// relayed too.

import type dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { EndpointBase, type EndpointConfig, errorText, PeerInput } from './endpoint';
import { bindUdp, closeUdp, sendDatagram } from './udp-socket';

export class UdpClientEndpoint extends EndpointBase<EndpointConfig & { host: string; port: number }> {
  readonly kind = 'udp-client' as const;
  private socket: dgram.Socket | undefined;
  private input: PeerInput | undefined;


  async start(): Promise<void> {
    this.stopped = false;
    await this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retry.cancel();
    this.input?.close();
    this.input = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await closeUdp(socket);
  }

  protected link(): { up: boolean; peers: number } {
    return { up: this.socket !== undefined, peers: this.socket !== undefined ? 1 : 0 };
  }

  /** The local port datagrams leave from. */
  get localPort(): number | undefined {
    return this.socket?.address().port;
  }

  private async open(): Promise<void> {
    const { host, port } = this.config;
    try {
      // Resolved once: a name given to send() would be looked up again for every datagram.
      const { address, family } = await lookup(host);
      const socket = await bindUdp(family === 6 ? '::' : '0.0.0.0', 0);
      if (this.stopped) {
        await closeUdp(socket);
        return;
      }
      const stats = this.stats;
      const input = new PeerInput(this.deps.router, {
        id: `${this.name}/${address}:${port}`, endpoint: this.name,
        send: (raw) => sendDatagram(socket, raw, port, address, stats),
      }, stats);
      socket.on('message', (msg) => input.datagram(msg));
      socket.on('error', (err) => this.deps.log.warn({ err: errorText(err) }, 'udp socket error'));
      this.socket = socket;
      this.input = input;
      this.retry.succeeded();
      this.deps.log.info({ host, address, port }, 'udp client endpoint sending');
    } catch (err) {
      this.lastError = errorText(err);
      const delay = this.retry.schedule(() => void this.open());
      this.deps.log.error({ host, port, err: this.lastError, retryInMs: delay }, 'cannot open udp client endpoint');
    }
  }
}
