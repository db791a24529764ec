import { describe, expect, it } from 'vitest';
import { Waker } from './waker';

describe('Waker', () => {
  it('ends a wait when woken, and leaves no abort listener behind however often it is woken', async () => {
    const w = new Waker();
    const loop = new AbortController();
    let listeners = 0;
    const add = loop.signal.addEventListener.bind(loop.signal);
    const remove = loop.signal.removeEventListener.bind(loop.signal);
    loop.signal.addEventListener = ((...a: Parameters<typeof add>) => { listeners++; add(...a); }) as typeof add;
    loop.signal.removeEventListener = ((...a: Parameters<typeof remove>) => { listeners--; remove(...a); }) as typeof remove;
    for (let i = 0; i < 50; i++) {
      const waiting = w.sleep(60_000, loop.signal);
      w.wake();
      await waiting;
    }
    expect(listeners).toBe(0);
  });

  it('ends a wait when the loop is stopped', async () => {
    const w = new Waker();
    const loop = new AbortController();
    const waiting = w.sleep(60_000, loop.signal);
    loop.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
