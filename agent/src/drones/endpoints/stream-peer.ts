// A peer behind a byte stream (one TCP connection, a serial port): reads feed the frame
// reader, sends go into the stream's queue unless it is already long.

import type { Duplex } from 'node:stream';
import type { LinkStats } from '../link-stats';
import type { Router } from '../router';
import { PeerInput } from './endpoint';

/** Bytes queued for a slow peer before new frames are dropped instead: ~1 s of a busy TCP link. */
export const TCP_QUEUE_LIMIT = 1024 * 1024;
/** A 57600 baud radio moves ~5.7 KB/s: beyond ~3 s of backlog, fresh frames matter more than stale ones. */
export const SERIAL_QUEUE_LIMIT = 16 * 1024;

export interface StreamPeer {
  input: PeerInput;
  close(): void;
}

/** Wires a stream into the router as one peer until `close()` (or the stream ends). */
export function attachStream(router: Router, stream: Duplex, id: string, endpoint: string, stats: LinkStats, queueLimit: number): StreamPeer {
  const input = new PeerInput(router, {
    id, endpoint,
    send: (raw) => {
      if (stream.destroyed || !stream.writable || stream.writableLength > queueLimit) {
        stats.notSent();
        return false;
      }
      stream.write(raw);
      stats.sent(raw.length);
      return true;
    },
  }, stats);
  const onData = (chunk: Buffer): void => input.stream(chunk);
  stream.on('data', onData);
  let closed = false;
  return {
    input,
    close() {
      if (closed) return;
      closed = true;
      stream.off('data', onData);
      input.close();
    },
  };
}
