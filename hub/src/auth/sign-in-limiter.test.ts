import { describe, expect, it } from 'vitest';
import { SignInLimiter } from './sign-in-limiter';

describe('failed sign-in limiter', () => {
  it('locks an account after 5 failures for the rest of the 15-minute window, then lets it try again', () => {
    let now = 0;
    const l = new SignInLimiter({ now: () => now });
    for (let i = 0; i < 5; i++) { expect(l.retryAfterMs('ilze', '10.0.0.1')).toBe(0); l.recordFailure('ilze', '10.0.0.1'); now += 1000; }
    expect(l.retryAfterMs('ILZE', '10.0.0.9')).toBe(15 * 60_000 - 5000);
    expect(l.retryAfterMs('janis', '10.0.0.9')).toBe(0);
    now = 15 * 60_000 + 1;
    expect(l.retryAfterMs('ilze', '10.0.0.1')).toBe(0);
  });

  it('limits one address trying many accounts', () => {
    const l = new SignInLimiter({ now: () => 0 });
    for (let i = 0; i < 20; i++) l.recordFailure(`user${i}`, '192.0.2.7');
    expect(l.retryAfterMs('someone-else', '192.0.2.7')).toBeGreaterThan(0);
    expect(l.retryAfterMs('someone-else', '192.0.2.8')).toBe(0);
  });

  it('a success clears the account counter', () => {
    const l = new SignInLimiter({ now: () => 0 });
    for (let i = 0; i < 4; i++) l.recordFailure('anna', 'a');
    l.recordSuccess('anna');
    l.recordFailure('anna', 'a');
    expect(l.retryAfterMs('anna', 'b')).toBe(0);
  });
});
