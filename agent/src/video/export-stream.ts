import { createHash } from 'node:crypto';
import type { ExportPiece, ExportPlan } from './export-plan';
import { MediaError } from './media-link';

/** Bytes read from a segment file at once: big reads, and the next one runs while this one is hashed and sent. */
export const EXPORT_READ_BYTES = 2 * 1024 * 1024;

/** Copies the overlap of the piece's patches with file bytes [pos, pos + chunk.length) into the chunk. */
function applyPatches(piece: ExportPiece, from: number, pos: number, chunk: Buffer): number {
  let i = from;
  const end = pos + chunk.length;
  // Patches are in file order; one may straddle two reads.
  while (i < piece.patches.length && piece.patches[i]!.at + piece.patches[i]!.bytes.length <= pos) i++;
  for (let j = i; j < piece.patches.length; j++) {
    const p = piece.patches[j]!;
    if (p.at >= end) break;
    const a = Math.max(p.at, pos);
    const b = Math.min(p.at + p.bytes.length, end);
    p.bytes.copy(chunk, a - pos, a - p.at, b - p.at);
  }
  return i;
}

/**
 * Writes a planned export: the init, then each piece read in big chunks with its few fields
 * patched, hashing exactly what is written. `write` must be done with a chunk when its promise
 * resolves (two read buffers take turns). The size must come out as planned: a segment file
 * that shrank meanwhile fails the export rather than sending a file of another size.
 */
export async function streamExport(plan: ExportPlan, write: (chunk: Buffer) => Promise<void>, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const send = async (chunk: Buffer) => {
    if (signal?.aborted) throw new MediaError('failed', 'the export was cancelled');
    hash.update(chunk);
    bytes += chunk.length;
    await write(chunk);
  };
  await send(plan.init);
  const buffers = [Buffer.allocUnsafe(EXPORT_READ_BYTES), Buffer.allocUnsafe(EXPORT_READ_BYTES)];
  let turn = 0;
  for (const piece of plan.pieces) {
    const end = piece.offset + piece.length;
    const read = (pos: number, buf: Buffer) => piece.fh.read(buf, 0, Math.min(buf.length, end - pos), pos).then((r) => ({ pos, buf, n: r.bytesRead }));
    let pos = piece.offset;
    let pending: ReturnType<typeof read> | undefined = read(pos, buffers[turn]!);
    let patchFrom = 0;
    while (pending) {
      const r = await pending;
      if (r.n === 0) throw new MediaError('failed', `${piece.file} became shorter while it was exported`);
      pos += r.n;
      turn ^= 1;
      pending = pos < end ? read(pos, buffers[turn]!) : undefined;
      const chunk = r.buf.subarray(0, r.n);
      patchFrom = applyPatches(piece, patchFrom, r.pos, chunk);
      await send(chunk);
    }
  }
  if (bytes !== plan.head.bytes) throw new MediaError('failed', `the export came to ${bytes} bytes instead of the ${plan.head.bytes} announced`);
  return { sha256: hash.digest('hex'), bytes };
}
