import { planExport } from './export-plan';
import { streamExport } from './export-stream';
import type { AgentVideoDeps } from './video-deps';

/**
 * Bytes per media-link frame. The link copies each payload into a new buffer with its call id;
 * glibc serves allocations from 128 KiB up with fresh mmapped pages, faulted in at every copy
 * (measured: 1.2 GB/s for 256 KiB frames, 4 GB/s for 120 KiB ones, which come from the heap),
 * and the hub's WebSocket reassembles each frame the same way.
 */
const FRAME_PAYLOAD_BYTES = 120 * 1024;

/**
 * Media op `export`: one MP4 of a camera's recordings between two times, stitched from the
 * segment files without re-encoding (export-plan.ts). The head carries the exact size, the
 * bytes follow paced by the hub's credit, and the end carries their SHA-256.
 */
export function registerExport(deps: AgentVideoDeps): void {
  deps.media.handle('export', async (args, reply, signal) => {
    const started = Date.now();
    const plan = await planExport(args, {
      store: deps.cameras.index, root: deps.recordingsDir,
      cameraName: (id) => deps.cameras.list().find((c) => c.info.id === id)?.info.name,
    }, (msg) => deps.log.warn({ cameraId: args.cameraId }, `export skips a segment it cannot read: ${msg}`));
    try {
      reply.head(plan.head);
      const { sha256, bytes } = await streamExport(plan, async (chunk) => {
        for (let at = 0; at < chunk.length; at += FRAME_PAYLOAD_BYTES) await reply.write(chunk.subarray(at, at + FRAME_PAYLOAD_BYTES));
      }, signal);
      deps.log.info({ ...args, bytes, segments: plan.head.segments, durationS: plan.head.durationS, ms: Date.now() - started, sha256 }, 'export sent');
      reply.end({ sha256 });
    } finally {
      await plan.close();
    }
  });
}
