import { withTimeout } from './sink.ts';

/**
 * Gathers what a test's receiving end gets and lets it wait, bounded, until enough has
 * arrived: waits are woken by arrivals, never by polling or sleeping.
 */
export class Collector {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  private waiters: { ready: () => boolean; wake: () => void }[] = [];

  push(chunk: Buffer): void {
    this.chunks.push(Buffer.from(chunk));
    this.bytes += chunk.length;
    this.waiters = this.waiters.filter((w) => {
      if (!w.ready()) return true;
      w.wake();
      return false;
    });
  }

  /** Everything received, in arrival order, as one buffer. */
  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }

  until(ready: (c: Collector) => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready(this)) return Promise.resolve();
    const arrived = new Promise<void>((wake) => this.waiters.push({ ready: () => ready(this), wake }));
    return withTimeout(arrived, timeoutMs, `${what} (have ${this.chunks.length} chunks, ${this.bytes} bytes)`);
  }

  untilBytes(n: number, timeoutMs: number): Promise<void> {
    return this.until((c) => c.bytes >= n, timeoutMs, `waiting for ${n} bytes`);
  }

  untilChunks(n: number, timeoutMs: number): Promise<void> {
    return this.until((c) => c.chunks.length >= n, timeoutMs, `waiting for ${n} datagrams`);
  }
}
