// A UDP endpoint that listens (like mavlink-router's "server" mode, or a GCS port 14550):
// it learns its peers from who sends to it and relays to each of them. A peer that has
// been silent for a while is forgotten (a ground station restarted on a new port).

import type dgram from 'node:dgram';
import { EndpointBase, type EndpointConfig, type EndpointDeps, errorText, PeerInput } from './endpoint';
import { bindUdp, closeUdp, sendDatagram } from './udp-socket';

/** Ground stations and autopilots send a heartbeat every second; 30 s of silence means gone. */
export const UDP_PEER_IDLE_MS = 30_000;

interface UdpPeer {
  input: PeerInput;
  address: string;
  port: number;
  lastHeardMs: number;
}

export class UdpServerEndpoint extends EndpointBase<EndpointConfig & { port: number }> {
  readonly kind = 'udp-server' as const;
  private socket: dgram.Socket | undefined;
  private readonly peers = new Map<string, UdpPeer>();
  private last: UdpPeer | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    config: EndpointConfig & { port: number },
    deps: EndpointDeps,
    private readonly peerIdleMs = UDP_PEER_IDLE_MS,
  ) {
    super(config, deps);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.sweeper = setInterval(() => this.forgetIdlePeers(), Math.max(250, this.peerIdleMs / 2));
    this.sweeper.unref();
    await this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retry.cancel();
    clearInterval(this.sweeper);
    for (const peer of this.peers.values()) peer.input.close();
    this.peers.clear();
    this.last = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await closeUdp(socket);
  }

  protected link(): { up: boolean; peers: number } {
    return { up: this.socket !== undefined, peers: this.peers.size };
  }

  /** The port actually bound (differs from the configured one when that was 0). */
  get boundPort(): number | undefined {
    return this.socket?.address().port;
  }

  private async open(): Promise<void> {
    const host = this.config.host ?? '0.0.0.0';
    try {
      const socket = await bindUdp(host, this.config.port);
      if (this.stopped) {
        await closeUdp(socket);
        return;
      }
      socket.on('message', (msg, rinfo) => this.received(socket, msg, rinfo));
      socket.on('error', (err) => this.deps.log.warn({ err: errorText(err) }, 'udp socket error'));
      this.socket = socket;
      this.retry.succeeded();
      this.deps.log.info({ host, port: socket.address().port }, 'udp server endpoint listening');
    } catch (err) {
      this.lastError = errorText(err);
      const delay = this.retry.schedule(() => void this.open());
      this.deps.log.error({ host, port: this.config.port, err: this.lastError, retryInMs: delay }, 'cannot bind udp server endpoint');
    }
  }

  private received(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // Fast path: the same peer as last time (a drone streaming) needs no key string or map lookup.
    let peer = this.last;
    if (peer === undefined || peer.port !== rinfo.port || peer.address !== rinfo.address) {
      peer = this.peerFor(socket, rinfo);
      this.last = peer;
    }
    peer.lastHeardMs = this.deps.clock.now();
    peer.input.datagram(msg);
  }

  private peerFor(socket: dgram.Socket, rinfo: dgram.RemoteInfo): UdpPeer {
    const key = `${rinfo.address}:${rinfo.port}`;
    let peer = this.peers.get(key);
    if (peer === undefined) {
      const { address, port } = rinfo;
      const stats = this.stats;
      const input = new PeerInput(this.deps.router, {
        id: `${this.name}/${key}`, endpoint: this.name,
        send: (raw) => sendDatagram(socket, raw, port, address, stats),
      }, stats);
      peer = { input, address, port, lastHeardMs: 0 };
      this.peers.set(key, peer);
      this.deps.log.info({ peer: key }, 'udp peer joined');
    }
    return peer;
  }

  private forgetIdlePeers(): void {
    const cutoff = this.deps.clock.now() - this.peerIdleMs;
    for (const [key, peer] of this.peers) {
      if (peer.lastHeardMs >= cutoff) continue;
      peer.input.close();
      this.peers.delete(key);
      if (this.last === peer) this.last = undefined;
      this.deps.log.info({ peer: key }, 'udp peer silent, forgotten');
    }
  }
}
