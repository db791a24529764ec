import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { Mp4Error, parseMoof, writeField } from './export-mp4';
import type { ExportPiece, ExportPlan, PlannedFragment } from './export-plan';
import { MediaError } from './media-link';

/** Bytes read from a segment file at once: big reads, and the next one runs while this one is hashed and sent. */
export const EXPORT_READ_BYTES = 2 * 1024 * 1024;

interface Window { pos: number; length: number; frags: PlannedFragment[] }

/**
 * The reads of a piece: each starts where a fragment starts and holds whole fragments up to
 * the read size, so a moof never straddles two reads; a fragment larger than that is read in
 * parts, its moof in the first.
 */
function* windows(piece: ExportPiece): Generator<Window> {
  const f = piece.fragments;
  let i = 0;
  while (i < f.length) {
    const start = f[i]!.offset;
    let j = i + 1;
    while (j < f.length && f[j]!.end - start <= EXPORT_READ_BYTES) j++;
    const end = f[j - 1]!.end;
    if (end - start <= EXPORT_READ_BYTES) {
      yield { pos: start, length: end - start, frags: f.slice(i, j) };
    } else {
      for (let at = start; at < end; at += EXPORT_READ_BYTES) yield { pos: at, length: Math.min(EXPORT_READ_BYTES, end - at), frags: at === start ? [f[i]!] : [] };
    }
    i = j;
  }
}

/** Renumbers and re-times the moofs in a read, in place. */
function patch(piece: ExportPiece, w: Window, buf: Buffer): void {
  for (const f of w.frags) {
    const at = f.offset - w.pos;
    let moof;
    try {
      moof = parseMoof(buf.subarray(at), piece.tracks);
    } catch (err) {
      if (err instanceof Mp4Error) throw new MediaError('failed', `${piece.file} changed while it was exported (${err.message} at byte ${f.offset})`);
      throw err;
    }
    // The moof's mdat must fill the fragment up to the next one: nothing unpatched hides between.
    const next = at + moof.size;
    if (next + 8 <= buf.length) {
      const type = buf.toString('latin1', next + 4, next + 8);
      const size = buf.readUInt32BE(next);
      if (type === 'moof' || (type === 'mdat' && size > 1 && f.offset + moof.size + size !== f.end)) {
        throw new MediaError('failed', `${piece.file} changed while it was exported (fragment at byte ${f.offset})`);
      }
    }
    writeField(buf, at + moof.seq.pos, 4, f.seq);
    for (const t of moof.trafs) {
      if (t.trackId === piece.mainTrack && f.decodeTime !== undefined && t.decodeTime !== f.decodeTime) throw new MediaError('failed', `${piece.file} changed while it was exported (fragment at byte ${f.offset})`);
      const decode = Math.max(0, t.decodeTime + (piece.shifts.get(t.trackId) ?? 0));
      if (t.tfdt.width === 4 && decode > 0xffffffff) throw new MediaError('failed', `${piece.file} has 32-bit decode times, too small for an export this long: export a shorter range`);
      writeField(buf, at + t.tfdt.pos, t.tfdt.width, decode);
      // An absolute data offset moves with its moof.
      if (t.baseDataOffset) writeField(buf, at + t.baseDataOffset.pos, 8, t.baseDataOffset.value - f.offset + piece.dst + (f.offset - piece.offset));
    }
  }
}

/** Reads in flight ahead of the one being hashed and sent: enough to keep a disk busy, bounded memory (10 MB with the one in hand and the one being hashed). */
const READ_AHEAD = 3;
/** Below this an export is hashed on the agent's own thread: a worker is not worth starting. */
const WORKER_MIN_BYTES = 16 * 1024 * 1024;

/**
 * SHA-256 on a worker thread, so hashing (about 1.5 GB/s, the dearest part of an export) runs
 * beside reading and sending instead of after them. Chunks are shared, not copied: a read
 * buffer is reused only once the worker has hashed it.
 */
class HashWorker {
  private readonly worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const { createHash } = require('node:crypto');
    const hash = createHash('sha256');
    parentPort.on('message', (m) => {
      if (m.buf) { hash.update(new Uint8Array(m.buf, m.offset, m.length)); parentPort.postMessage(m.id); }
      else parentPort.postMessage({ digest: hash.digest('hex') });
    });`, { eval: true, execArgv: [] }); // node built-ins only: no loader hooks for the worker
  private readonly waiting = new Map<number, () => void>();
  private digestWaiter: ((hex: string) => void) | undefined;
  private failure: Error | undefined;
  private next = 0;

  constructor() {
    this.worker.on('message', (m: number | { digest: string }) => {
      if (typeof m === 'number') { this.waiting.get(m)?.(); this.waiting.delete(m); } else this.digestWaiter?.(m.digest);
    });
    this.worker.on('error', (err) => { this.failure = err; for (const w of this.waiting.values()) w(); this.digestWaiter?.(''); });
  }

  /** Resolves when the worker is done with these bytes. */
  update(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    const id = this.next++;
    const done = new Promise<void>((resolve) => this.waiting.set(id, resolve));
    this.worker.postMessage({ id, buf: chunk.buffer, offset: chunk.byteOffset, length: chunk.length });
    return done;
  }

  async digest(): Promise<string> {
    const hex = await new Promise<string>((resolve) => { this.digestWaiter = resolve; this.worker.postMessage({}); });
    if (this.failure || !hex) throw this.failure ?? new Error('the hash worker stopped');
    return hex;
  }

  stop(): Promise<number> { return this.worker.terminate(); }
}

/**
 * Writes a planned export: the init, then each piece in big reads with its moofs patched,
 * hashing exactly what is written. `write` must be done with a chunk when its promise resolves
 * (the read buffers are reused). The size must come out as planned: a segment file that
 * shrank or changed meanwhile fails the export rather than sending a file of another size.
 */
export async function streamExport(
  plan: ExportPlan, write: (chunk: Buffer) => Promise<void>, signal?: AbortSignal, opts: { hashWorker?: boolean } = {},
): Promise<{ sha256: string; bytes: number }> {
  const worker = (opts.hashWorker ?? plan.head.bytes >= WORKER_MIN_BYTES) ? new HashWorker() : undefined;
  const hash = createHash('sha256');
  try {
    let bytes = 0;
    const send = async (chunk: Buffer): Promise<void> => {
      if (signal?.aborted) throw new MediaError('failed', 'the export was cancelled');
      bytes += chunk.length;
      if (!worker) { hash.update(chunk); return write(chunk); }
      const hashed = worker.update(chunk);
      await write(chunk);
      await hashed;
    };
    hash.update(plan.init);
    if (worker) await worker.update(Buffer.from(plan.init));
    bytes += plan.init.length;
    await write(plan.init);

    // Shared memory when a worker hashes, so it reads the same bytes without a copy.
    const alloc = () => (worker ? Buffer.from(new SharedArrayBuffer(EXPORT_READ_BYTES)) : Buffer.allocUnsafe(EXPORT_READ_BYTES));
    const free: Buffer[] = Array.from({ length: READ_AHEAD + 1 }, alloc);
    const all = (function* () { for (const piece of plan.pieces) for (const w of windows(piece)) yield { piece, w }; })();
    const readWindow = async (piece: ExportPiece, w: Window, buf: Buffer) => {
      let got = 0;
      while (got < w.length) {
        const { bytesRead } = await piece.fh.read(buf, got, w.length - got, w.pos + got);
        if (bytesRead === 0) throw new MediaError('failed', `${piece.file} became shorter while it was exported`);
        got += bytesRead;
      }
      return { piece, w, buf };
    };
    const queue: ReturnType<typeof readWindow>[] = [];
    const refill = () => {
      while (queue.length < READ_AHEAD && free.length) {
        const next = all.next();
        if (next.done) return;
        const p = readWindow(next.value.piece, next.value.w, free.pop()!);
        // If sending fails first, reads still in flight are never awaited: their failure (the file closed under them) must not go unhandled.
        p.catch(() => undefined);
        queue.push(p);
      }
    };
    refill();
    while (queue.length) {
      const { piece, w, buf } = await queue.shift()!;
      const chunk = buf.subarray(0, w.length);
      patch(piece, w, chunk);
      await send(chunk);
      free.push(buf);
      refill();
    }
    if (bytes !== plan.head.bytes) throw new MediaError('failed', `the export came to ${bytes} bytes instead of the ${plan.head.bytes} announced`);
    return { sha256: worker ? await worker.digest() : hash.digest('hex'), bytes };
  } finally {
    await worker?.stop();
  }
}
