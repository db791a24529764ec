import { open } from 'node:fs/promises';
import { segmentFile } from '../cameras/segment-store';
import { MediaError } from './media-link';
import { SegmentLayouts } from './segment-layout-cache';
import { StillError, Stills } from './stills';
import type { AgentVideoDeps } from './video-deps';

/** Longest range one `segments.layout` call covers; the hub asks hour by hour. */
export const MAX_LAYOUT_RANGE_MS = 25 * 3_600_000;
/** A layout answer is one text message; the hub's socket takes at most 2 MB. */
const MAX_LAYOUT_JSON_BYTES = 1536 * 1024;
/** Disk reads of `segments.read`: big, so a 30 MB segment is 30 reads. */
const READ_CHUNK_BYTES = 1024 * 1024;
const DEFAULT_STILL_WIDTH = 320;

/**
 * Recorded playback on the media link: `segments.layout` (where each segment's init and
 * keyframe-aligned parts are, and their wall-clock times), `segments.read` (bytes of an indexed
 * segment, nothing else) and `still` (a JPEG of the keyframe at or before a moment).
 */
export function registerPlayback(deps: AgentVideoDeps, opts: { ffmpegPath?: string } = {}): { layouts: SegmentLayouts; stills: Stills } {
  const { cameras, media, recordingsDir: root, log } = deps;
  const layouts = new SegmentLayouts({
    index: cameras.index, root, log,
    recording: (id) => cameras.runtime(id)?.recorder.state === 'recording',
  });
  const stills = new Stills({ layouts, log, ...(opts.ffmpegPath ? { ffmpegPath: opts.ffmpegPath } : {}) });

  const knownCamera = async (cameraId: string) => cameras.runtime(cameraId) !== undefined || (await cameras.store.get(cameraId)) !== undefined;
  const time = (iso: string, name: string) => {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) throw new MediaError('bad-args', `"${name}" is not an ISO-8601 time: ${iso}`);
    return ms;
  };

  media.handle('segments.layout', async ({ cameraId, from, to }, reply) => {
    const fromMs = time(from, 'from');
    const toMs = time(to, 'to');
    if (toMs <= fromMs) throw new MediaError('bad-args', '"to" must be after "from"');
    if (toMs - fromMs > MAX_LAYOUT_RANGE_MS) throw new MediaError('too-long', `one layout covers at most ${MAX_LAYOUT_RANGE_MS / 3_600_000} hours`);
    const segments = await layouts.layouts(cameraId, fromMs, toMs);
    if (!segments.length && !(await knownCamera(cameraId))) throw new MediaError('not-found', `no camera "${cameraId}" at this site`);
    if (segments.length > 10_000 || JSON.stringify(segments).length > MAX_LAYOUT_JSON_BYTES) {
      throw new MediaError('too-long', 'the layout of this range is too big for one answer: ask for a shorter range');
    }
    reply.head({ segments });
  });

  media.handle('segments.read', async ({ cameraId, path, offset, length }, reply, signal) => {
    const ref = await layouts.resolve(cameraId, path);
    if (!ref) throw new MediaError('not-found', `camera ${cameraId} has no recorded segment "${path}"`);
    const fh = await open(segmentFile(root, ref.seg), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new MediaError('not-found', `the segment "${path}" is no longer on disk`);
      throw err;
    });
    try {
      const size = (await fh.stat()).size;
      if (offset >= size) throw new MediaError('bad-args', `offset ${offset} is past the end of "${path}" (${size} bytes)`);
      const total = Math.min(length, size - offset);
      reply.head({ length: total });
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, total));
      for (let done = 0; done < total && !signal.aborted;) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, total - done), offset + done);
        if (bytesRead === 0) throw new MediaError('failed', `"${path}" shrank while it was read`);
        // write() copies the bytes into its frames before resolving, so the buffer can be reused.
        await reply.write(buf.subarray(0, bytesRead));
        done += bytesRead;
      }
    } finally {
      await fh.close();
    }
  });

  media.handle('still', async ({ cameraId, at, width }, reply, signal) => {
    const atMs = time(at, 'at');
    let still;
    try {
      still = await stills.still(cameraId, atMs, width ?? DEFAULT_STILL_WIDTH, signal);
    } catch (err) {
      if (err instanceof StillError) {
        if (err.code === 'no-footage' && !(await knownCamera(cameraId))) throw new MediaError('not-found', `no camera "${cameraId}" at this site`);
        throw new MediaError(err.code === 'no-footage' ? 'no-footage' : 'failed', err.message);
      }
      throw err;
    }
    reply.head({ takenAt: still.takenAt, bytes: still.jpeg.length });
    await reply.write(still.jpeg);
  });

  return { layouts, stills };
}
