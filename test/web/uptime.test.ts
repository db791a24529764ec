import { describe, expect, it } from 'vitest';
import { uptime } from '../../web/src/lib/uptime';

const t = (m: number) => new Date(Date.UTC(2026, 10, 20, 0, m)).toISOString();
const ms = (m: number) => Date.parse(t(m));

describe('uptime over a window', () => {
  it('counts offline stretches as outages and the rest as up', () => {
    const u = uptime({ state: 'online', since: t(-30) }, [
      { state: 'offline', since: t(10) }, { state: 'online', since: t(20) },
      { state: 'offline', since: t(50) }, { state: 'offline', since: t(55) }, { state: 'degraded', since: t(60) },
    ], ms(0), ms(100));
    expect(u.upFraction).toBeCloseTo(0.8);
    expect(u.outages).toBe(2);
    expect(u.longestOutageMs).toBe(10 * 60_000);
    expect(u.knownFraction).toBe(1);
  });

  it('leaves time before the first known state out', () => {
    const u = uptime(null, [{ state: 'online', since: t(50) }], ms(0), ms(100));
    expect(u.upFraction).toBe(1);
    expect(u.knownFraction).toBeCloseTo(0.5);
  });
});
