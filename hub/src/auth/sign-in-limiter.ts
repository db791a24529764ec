/**
 * Counts failed sign-ins per account and per client address. After a few failures
 * within `windowMs` further attempts are refused until the window has passed, so a
 * password cannot be guessed online, and one attacker cannot lock every account at once
 * without also being limited by address.
 */
export class SignInLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly opts: { perAccount?: number; perAddress?: number; windowMs?: number; now?: () => number } = {}) {}

  private max(key: string) { return key.startsWith('u:') ? (this.opts.perAccount ?? 5) : (this.opts.perAddress ?? 20); }
  private get window() { return this.opts.windowMs ?? 15 * 60_000; }
  private now() { return this.opts.now?.() ?? Date.now(); }

  private recent(key: string): number[] {
    const since = this.now() - this.window;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length) this.failures.set(key, list); else this.failures.delete(key);
    return list;
  }

  /** Milliseconds until another attempt is allowed, or 0 when allowed now. */
  retryAfterMs(username: string, ip: string): number {
    let wait = 0;
    for (const key of [`u:${username.toLowerCase()}`, `ip:${ip}`]) {
      const list = this.recent(key);
      const max = this.max(key);
      if (list.length >= max) wait = Math.max(wait, (list[list.length - max] ?? 0) + this.window - this.now());
    }
    return wait;
  }

  recordFailure(username: string, ip: string): void {
    for (const key of [`u:${username.toLowerCase()}`, `ip:${ip}`]) {
      const list = this.recent(key);
      list.push(this.now());
      this.failures.set(key, list);
    }
  }

  recordSuccess(username: string): void {
    this.failures.delete(`u:${username.toLowerCase()}`);
  }
}
