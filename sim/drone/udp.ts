import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { FatalHandler, FrameSink } from './sink.ts';
import { withTimeout } from './sink.ts';

// Bursts of thousands of small datagrams overrun the kernel's default ~208 KB socket buffers.
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpSink extends FrameSink {
  /** Local port the socket is bound to (what a udp-server drone listens on). */
  readonly port: number;
}

async function bindSocket(host: string, port: number, onFatal: FatalHandler): Promise<dgram.Socket> {
  const socket = dgram.createSocket({
    type: net.isIPv6(host) ? 'udp6' : 'udp4',
    sendBufferSize: SOCKET_BUFFER_BYTES,
    recvBufferSize: SOCKET_BUFFER_BYTES,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', onFatal);
  return socket;
}

/**
 * Sends datagrams and, on close, lets the ones libuv still has queued go out first:
 * closing a dgram socket discards them, which cut the tail off every replay run from the CLI.
 */
function datagramSender(socket: dgram.Socket, onFatal: FatalHandler): {
  send(frame: Buffer, port: number, address: string): void;
  close(): Promise<void>;
} {
  let pending = 0;
  let flushed: (() => void) | undefined;
  const sent = (error: Error | null): void => {
    pending--;
    if (error) onFatal(error);
    if (pending === 0) flushed?.();
  };
  return {
    send(frame, port, address) {
      pending++;
      socket.send(frame, port, address, sent);
    },
    async close() {
      if (pending > 0) {
        await withTimeout(new Promise<void>((resolve) => { flushed = resolve; }), 5_000, 'udp flush').catch(() => undefined);
      }
      await new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // already closed
        }
      });
    },
  };
}

/** Sends each frame as one datagram to host:port, like a telemetry radio configured with a GCS address. */
export async function createUdpClientSink(host: string, port: number, onFatal: FatalHandler): Promise<UdpSink> {
  // Resolve once: a name given to send() would be looked up again for every datagram.
  const { address, family } = await lookup(host);
  const socket = await bindSocket(family === 6 ? '::' : '0.0.0.0', 0, onFatal);
  const sender = datagramSender(socket, onFatal);
  return {
    description: `udp://${host}:${port}`,
    port: socket.address().port,
    peerReady: Promise.resolve(),
    send(frame) {
      sender.send(frame, port, address);
      return undefined;
    },
    close: sender.close,
  };
}

/**
 * Listens on host:port and sends to whoever spoke last, like ArduPilot's and
 * mavlink-router's UDP server endpoints: nothing is sent until a peer has been heard.
 */
export async function createUdpServerSink(host: string, port: number, onFatal: FatalHandler): Promise<UdpSink> {
  const socket = await bindSocket(host, port, onFatal);
  const sender = datagramSender(socket, onFatal);
  let peer: { address: string; port: number } | undefined;
  let heard!: () => void;
  const peerReady = new Promise<void>((resolve) => { heard = resolve; });
  socket.on('message', (_msg, rinfo) => {
    peer = { address: rinfo.address, port: rinfo.port };
    heard();
  });
  const bound = socket.address();
  return {
    description: `udp server ${host}:${bound.port}`,
    port: bound.port,
    peerReady,
    send(frame) {
      if (peer !== undefined) sender.send(frame, peer.port, peer.address);
      return undefined;
    },
    close: sender.close,
  };
}
