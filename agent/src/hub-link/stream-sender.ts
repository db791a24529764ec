import { Writable } from 'node:stream';
import { STREAM_CHUNK_BYTES, type ExportInfo } from '@sargs/shared';
import type { HubLink } from './hub-link';

/**
 * Bytes for the hub on the agent's one WebSocket: a `stream.start` announcing them, then
 * binary frames of [16-byte stream id][data]. The stream ends with the request's response.
 */
export class StreamSender {
  constructor(private readonly link: HubLink) {}

  start(streamId: string, info: ExportInfo): void {
    if (!this.link.sendLive('stream.start', { streamId, info })) throw new Error('not connected to the hub');
  }

  writable(streamId: string): Writable {
    const id = Buffer.from(streamId, 'hex');
    const link = this.link;
    return new Writable({
      highWaterMark: STREAM_CHUNK_BYTES,
      write(chunk: Buffer, _enc, done) {
        const parts: Promise<void>[] = [];
        for (let at = 0; at < chunk.length; at += STREAM_CHUNK_BYTES) {
          parts.push(link.sendBinary(Buffer.concat([id, chunk.subarray(at, at + STREAM_CHUNK_BYTES)])));
        }
        Promise.all(parts).then(() => done(), done);
      },
    });
  }
}
