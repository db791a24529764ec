import { once } from 'node:events';
import net from 'node:net';
import type { FatalHandler, FrameSink } from './sink.ts';
import { withTimeout } from './sink.ts';

export interface TcpServerSink extends FrameSink {
  readonly port: number;
}

const CLOSE_GRACE_MS = 2_000;

/** Waits for a socket to drain, or to go away (then there is nothing left to wait for). */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

/** Ends a socket politely so queued frames reach the peer, and cuts it if the peer never reads them. */
async function endSocket(socket: net.Socket): Promise<void> {
  if (socket.destroyed) return;
  const closed = once(socket, 'close').then(() => undefined, () => undefined);
  socket.end();
  await withTimeout(closed, CLOSE_GRACE_MS, 'tcp close').catch(() => socket.destroy());
}

/** Connects to host:port and streams frames into the connection (a GCS or router listening on TCP). */
export async function createTcpClientSink(host: string, port: number, onFatal: FatalHandler): Promise<FrameSink> {
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  let closing = false;
  socket.on('error', onFatal);
  socket.on('close', () => {
    if (!closing) onFatal(new Error(`tcp://${host}:${port} closed the connection`));
  });
  return {
    description: `tcp://${host}:${port}`,
    peerReady: Promise.resolve(),
    send: (frame) => (socket.write(frame) ? undefined : drained(socket)),
    close() {
      closing = true;
      return endSocket(socket);
    },
  };
}

/**
 * Listens and streams to every connected client, like SITL's TCP port: one vehicle, one
 * stream, so a client that connects late joins mid-flight. The replay starts with the
 * first connection; a client leaving is not an error.
 */
export async function createTcpServerSink(host: string, port: number, onFatal: FatalHandler): Promise<TcpServerSink> {
  const clients = new Set<net.Socket>();
  let connected!: () => void;
  const peerReady = new Promise<void>((resolve) => { connected = resolve; });
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    clients.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => clients.delete(socket));
    connected();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', onFatal);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp server has no port');
  return {
    description: `tcp server ${host}:${address.port}`,
    port: address.port,
    peerReady,
    send(frame) {
      const waits: Promise<void>[] = [];
      for (const socket of clients) {
        if (!socket.write(frame)) waits.push(drained(socket));
      }
      return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...clients].map(endSocket));
      await closed;
    },
  };
}
