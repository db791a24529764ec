/**
 * Reconnect delay with "full jitter" (AWS architecture blog): a random delay up to an
 * exponentially growing cap, so a hub restart is not met by every site at the same instant.
 */
export function backoffDelay(attempt: number, opts: { baseMs?: number; maxMs?: number; random?: () => number } = {}): number {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 30_000;
  const cap = Math.min(max, base * 2 ** Math.min(attempt, 20));
  const r = opts.random ?? Math.random;
  // Never below half the cap: a tight loop of instant retries helps nobody.
  return Math.round(cap / 2 + r() * (cap / 2));
}
