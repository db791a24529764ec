import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH, HealthTracker, assessHealth, type ProbeView, type RecorderView } from './health';

const S = DEFAULT_HEALTH;
const ok: ProbeView = { ok: true, clockOffsetMs: 120 };
const at = (rec: RecorderView, probe?: ProbeView, disk = false, now = 100_000) => assessHealth(rec, probe, disk, 0, now, S);

describe('camera health assessment', () => {
  it('frames arriving → online, whatever else', () => {
    expect(at({ state: 'recording', lastFrameAt: 99_600 }, ok)).toEqual({ state: 'online', reason: null });
    expect(at({ state: 'recording', lastFrameAt: 99_600 }, undefined)).toEqual({ state: 'online', reason: null });
  });

  it('frames stop for longer than the stall limit → offline, stalled', () => {
    expect(at({ state: 'recording', lastFrameAt: 100_000 - S.stallMs }, ok).state).toBe('online');
    expect(at({ state: 'recording', lastFrameAt: 100_000 - S.stallMs - 1 }, ok)).toMatchObject({ state: 'offline', reason: 'stalled' });
  });

  it('names the cause when there is no video', () => {
    expect(at({ state: 'restarting', failure: 'unauthorized' }, ok).reason).toBe('unauthorized');
    expect(at({ state: 'restarting', failure: 'exited' }, { ok: false, failure: 'unauthorized' }).reason).toBe('unauthorized');
    expect(at({ state: 'restarting', failure: 'unreachable' }, { ok: false, failure: 'unreachable' }).reason).toBe('unreachable');
    expect(at({ state: 'restarting', failure: 'unreachable' }, ok).reason).toBe('no-video');
    expect(at({ state: 'restarting', failure: 'exited' }, { ok: false, failure: 'clock-skew' }).reason).toBe('clock-skew');
  });

  it('degraded for a skewed clock or a full disk while recording', () => {
    expect(at({ state: 'recording', lastFrameAt: 100_000 }, { ok: true, clockOffsetMs: -9000 })).toMatchObject({ state: 'degraded', reason: 'clock-skew' });
    expect(at({ state: 'recording', lastFrameAt: 100_000 }, ok, true)).toMatchObject({ state: 'degraded', reason: 'disk-low' });
    expect(at({ state: 'recording', lastFrameAt: 100_000 }, { ok: false, failure: 'unauthorized' })).toMatchObject({ state: 'degraded', reason: 'unauthorized' });
  });

  it('a fresh camera gets a grace period before it counts as offline', () => {
    expect(assessHealth({ state: 'starting' }, undefined, false, 0, 5000, S)).toMatchObject({ state: 'degraded', reason: 'recorder-restarting' });
    expect(assessHealth({ state: 'starting' }, undefined, false, 0, 20_000, S)).toMatchObject({ state: 'offline' });
  });
});

describe('health tracker', () => {
  it('emits only on a change of state or reason, stamped with the clock', () => {
    let now = 1_000_000;
    const t = new HealthTracker('cam1', { now: () => now });
    const changes: string[] = [];
    t.on('change', (h) => changes.push(`${h.state}/${h.reason}@${h.since}`));
    t.evaluate({ state: 'recording', lastFrameAt: now }, ok, false);
    now += 500;
    t.evaluate({ state: 'recording', lastFrameAt: now }, ok, false);
    const lastFrame = now;
    now += DEFAULT_HEALTH.stallMs + 500;
    t.evaluate({ state: 'recording', lastFrameAt: lastFrame }, ok, false);
    const stalledAt = now;
    now += 250;
    t.evaluate({ state: 'recording', lastFrameAt: lastFrame }, ok, false);
    expect(changes).toEqual([
      `online/null@${new Date(1_000_000).toISOString()}`,
      `offline/stalled@${new Date(stalledAt).toISOString()}`,
    ]);
  });
});
