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
function* windows(piece: ExportPiece, readBytes: number): Generator<Window> {
  const f = piece.fragments;
  let i = 0;
  while (i < f.length) {
    const start = f[i]!.offset;
    let j = i + 1;
    while (j < f.length && f[j]!.end - start <= readBytes) j++;
    const end = f[j - 1]!.end;
    if (end - start <= readBytes) {
      yield { pos: start, length: end - start, frags: f.slice(i, j) };
    } else {
      for (let at = start; at < end; at += readBytes) yield { pos: at, length: Math.min(readBytes, end - at), frags: at === start ? [f[i]!] : [] };
    }
    i = j;
  }
}

/**
 * Where a read's bytes lie in its buffer: frames of `stride` bytes, each `headroom` free bytes
 * (the media link's call id goes there) then up to `payload` bytes of the file. With no
 * headroom and one frame per read the bytes are simply contiguous.
 */
interface Layout { headroom: number; payload: number; stride: number; frames: number }

/** Copies `length` bytes of the file's data starting at data byte `at` out of (or, with `back`, into) a framed buffer. */
function moveData(buf: Buffer, l: Layout, at: number, tmp: Buffer, back: boolean): void {
  let done = 0;
  while (done < tmp.length) {
    const k = Math.floor((at + done) / l.payload);
    const inFrame = (at + done) - k * l.payload;
    const n = Math.min(l.payload - inFrame, tmp.length - done);
    const pos = k * l.stride + l.headroom + inFrame;
    if (back) tmp.copy(buf, pos, done, done + n);
    else buf.copy(tmp, done, pos, pos + n);
    done += n;
  }
}

/**
 * Renumbers and re-times the moofs in a read, in place. Each moof (a few hundred bytes) and
 * the 8 bytes after it are copied out of the framed buffer, patched, and copied back, so a moof
 * may straddle two frames.
 */
function patch(piece: ExportPiece, w: Window, buf: Buffer, l: Layout): void {
  for (const f of w.frags) {
    const at = f.offset - w.pos;
    const head = Buffer.allocUnsafe(Math.min(8, w.length - at));
    moveData(buf, l, at, head, false);
    const declared = head.length >= 4 ? head.readUInt32BE(0) : 0;
    const m = Buffer.allocUnsafe(Math.min(w.length - at, Math.max(8, declared) + 8));
    moveData(buf, l, at, m, false);
    patchMoof(piece, f, m);
    moveData(buf, l, at, m, true);
  }
}

/** Renumbers and re-times one moof at the start of `buf` (which holds the moof and, where the read has them, the 8 bytes after it). */
function patchMoof(piece: ExportPiece, f: PlannedFragment, buf: Buffer): void {
  {
    const at = 0;
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
      if (m.buf) { for (let i = 0; i < m.ranges.length; i += 2) hash.update(new Uint8Array(m.buf, m.ranges[i], m.ranges[i + 1])); parentPort.postMessage(m.id); }
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

  /** Resolves when the worker is done with these bytes (views of one shared buffer, hashed in order). */
  update(chunks: Buffer[]): Promise<void> {
    if (this.failure) throw this.failure;
    const id = this.next++;
    const done = new Promise<void>((resolve) => this.waiting.set(id, resolve));
    const ranges: number[] = [];
    for (const c of chunks) ranges.push(c.byteOffset, c.length);
    this.worker.postMessage({ id, buf: chunks[0]!.buffer, ranges });
    return done;
  }

  async digest(): Promise<string> {
    const hex = await new Promise<string>((resolve) => { this.digestWaiter = resolve; this.worker.postMessage({}); });
    if (this.failure || !hex) throw this.failure ?? new Error('the hash worker stopped');
    return hex;
  }

  stop(): Promise<number> { return this.worker.terminate(); }
}

/** How streamExport hands out its bytes: frames of at most `payload` bytes with `headroom` free bytes before each. */
export interface ExportFraming { headroom: number; payload: number }

/**
 * Writes a planned export: the init, then each piece in big reads with its moofs patched,
 * hashing exactly what is written. `write` must be done with a chunk when its promise resolves
 * (the read buffers are reused); the next chunks may be written before that (it must keep
 * them in order). The size must come out as planned: a segment file that shrank or changed
 * meanwhile fails the export rather than sending a file of another size.
 *
 * With `framing`, every chunk is a frame whose first `headroom` bytes are not the file's (the
 * caller fills them, e.g. with a call id) followed by at most `payload` bytes of the file:
 * reads scatter straight into such frames, so nothing is copied to add a header.
 */
export async function streamExport(
  plan: ExportPlan, write: (chunk: Buffer) => Promise<void>, signal?: AbortSignal, opts: { hashWorker?: boolean; framing?: ExportFraming } = {},
): Promise<{ sha256: string; bytes: number }> {
  const worker = (opts.hashWorker ?? plan.head.bytes >= WORKER_MIN_BYTES) ? new HashWorker() : undefined;
  const hash = createHash('sha256');
  const headroom = opts.framing?.headroom ?? 0;
  const payload = opts.framing?.payload ?? EXPORT_READ_BYTES;
  const frames = Math.max(1, Math.floor(EXPORT_READ_BYTES / payload));
  const l: Layout = { headroom, payload, stride: headroom + payload, frames };
  const readBytes = frames * payload;
  try {
    let bytes = 0;
    /** Hashes and writes the data views of one read; resolves once the buffer may be reused. */
    const send = (views: Buffer[], framesOut: Buffer[]): Promise<void> => {
      if (signal?.aborted) throw new MediaError('failed', 'the export was cancelled');
      for (const v of views) bytes += v.length;
      let hashed: Promise<void> | undefined;
      if (worker) hashed = worker.update(views);
      else for (const v of views) hash.update(v);
      const all = Promise.all([...framesOut.map((f) => write(f)), hashed]).then(() => undefined);
      // Awaited later, or never if an earlier write fails: its failure must not go unhandled.
      all.catch(() => undefined);
      return all;
    };
    const init = Buffer.allocUnsafe(headroom + plan.init.length);
    plan.init.copy(init, headroom);
    hash.update(plan.init);
    if (worker) await worker.update([Buffer.from(plan.init)]);
    bytes += plan.init.length;
    await write(headroom ? init : plan.init);

    // Shared memory when a worker hashes, so it reads the same bytes without a copy.
    const size = frames * l.stride;
    const alloc = () => (worker ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size));
    const free: Buffer[] = Array.from({ length: READ_AHEAD + 1 }, alloc);
    const all = (function* () { for (const piece of plan.pieces) for (const w of windows(piece, readBytes)) yield { piece, w }; })();
    const readWindow = async (piece: ExportPiece, w: Window, buf: Buffer) => {
      const views: Buffer[] = [];
      for (let k = 0; k * payload < w.length; k++) views.push(buf.subarray(k * l.stride + headroom, k * l.stride + headroom + Math.min(payload, w.length - k * payload)));
      let got = views.length > 1 ? (await piece.fh.readv(views, w.pos)).bytesRead : 0;
      // A short read (rare): the rest view by view.
      for (let k = Math.floor(got / payload); got < w.length; k = Math.floor(got / payload)) {
        const v = views[k]!;
        const inView = got - k * payload;
        const { bytesRead } = await piece.fh.read(v, inView, v.length - inView, w.pos + got);
        if (bytesRead === 0) throw new MediaError('failed', `${piece.file} became shorter while it was exported`);
        got += bytesRead;
      }
      return { piece, w, buf, views };
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
    // One read is written while the next is patched and queued behind it: the socket never waits for a read's last frame to drain.
    let previous: { sent: Promise<void>; buf: Buffer } | undefined;
    while (queue.length) {
      const { piece, w, buf, views } = await queue.shift()!;
      patch(piece, w, buf, l);
      const framesOut = views.map((v) => buf.subarray(v.byteOffset - buf.byteOffset - headroom, v.byteOffset - buf.byteOffset + v.length));
      const sent = send(views, framesOut);
      if (previous) {
        await previous.sent;
        free.push(previous.buf);
      }
      previous = { sent, buf };
      refill();
    }
    if (previous) await previous.sent;
    if (bytes !== plan.head.bytes) throw new MediaError('failed', `the export came to ${bytes} bytes instead of the ${plan.head.bytes} announced`);
    return { sha256: worker ? await worker.digest() : hash.digest('hex'), bytes };
  } finally {
    await worker?.stop();
  }
}
