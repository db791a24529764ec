import type { Readable } from 'node:stream';
import { MediaCallError } from './media-gateway';

/**
 * Byte ranges of recorded segments kept at the hub, bounded by bytes (least recently used
 * first out), so a segment's init and ranges fetched again (a seek back, a second viewer, a
 * replay) do not cross the site's uplink twice. Two requests for the same range while it is
 * being fetched share one fetch. Recorded bytes never change, so nothing is ever stale.
 */
export class RangeCache {
  private readonly entries = new Map<string, Buffer>();
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private total = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  get bytes(): number { return this.total; }

  async get(key: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const pending = this.inflight.get(key);
    if (pending) { this.hits++; return pending; }
    this.misses++;
    const p = load().then((buf) => { this.put(key, buf); return buf; }).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private put(key: string, buf: Buffer): void {
    if (buf.length > this.maxBytes / 4) return;
    this.entries.set(key, buf);
    this.total += buf.length;
    for (const [k, b] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(k);
      this.total -= b.length;
    }
  }
}

/** A byte range from an HTTP Range header: inclusive ends, as the header writes them. */
export interface ByteRange { start: number; end: number }

/**
 * One `bytes=` range of a resource of `size` bytes (RFC 9110 §14): the range, 'unsatisfiable'
 * (416), or undefined when there is no usable Range header (malformed or several ranges: the
 * whole resource is sent, as the RFC allows).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? Infinity : Number(m[2]);
  if (end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/** Reads a bounded media call's body to the end, checking it delivered what its head announced. */
export async function readAll(body: Readable, expected: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    n += (chunk as Buffer).length;
    if (n > expected) break;
  }
  if (n !== expected) throw new MediaCallError('protocol', `the site agent sent ${n} bytes where it announced ${expected}`);
  return Buffer.concat(chunks, n);
}
