// The UDP plumbing both UDP endpoints share: a socket with large buffers, bound and closed
// as promises, and a send that never throws.

import dgram from 'node:dgram';
import net from 'node:net';
import type { LinkStats } from '../link-stats';

// DESIGN §4: with the default ~208 KB receive buffer even mavlink-router loses frames above
// ~20k frames/s to scheduling stalls; 4 MiB rides them out.
export const UDP_BUFFER_BYTES = 4 * 1024 * 1024;

export async function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({
    type: net.isIPv6(host) ? 'udp6' : 'udp4',
    recvBufferSize: UDP_BUFFER_BYTES,
    sendBufferSize: UDP_BUFFER_BYTES,
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', failed);
    socket.bind(port, host, () => {
      socket.off('error', failed);
      resolve();
    });
  });
  return socket;
}

export function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** Sends one datagram; a closed socket or a send error counts as not sent instead of throwing. */
export function sendDatagram(socket: dgram.Socket, raw: Buffer, port: number, address: string, stats: LinkStats): boolean {
  try {
    // No callback: libuv reports failures through the socket's 'error' event, which the
    // endpoint logs; a callback per datagram costs measurably at tens of thousands per second.
    socket.send(raw, port, address);
  } catch {
    stats.notSent();
    return false;
  }
  stats.sent(raw.length);
  return true;
}
