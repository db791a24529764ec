// Keyframe requests when a live view starts: at most one a second per camera profile, never in the
// way of the live call (a refusal is a debug line), and per live ffmpeg one when its session plays
// and one more a little over a second later if no keyframe came.
import type { Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SynchronizationPointOptions } from '../cameras/onvif-client';
import { FirstKeyframe, KEYFRAME_RETRY_MS, KeyframeRequests, type KeyframeTarget } from './live-keyframe';

const target = (profileToken = 'Profile_1', extra: Partial<KeyframeTarget> = {}): KeyframeTarget => ({
  cameraId: 'cam-1', deviceUrl: 'http://10.0.0.5/onvif/device_service', username: 'admin', password: 'pw', profileToken, ...extra,
});

function fakeLog(): { log: Logger; lines: { obj: Record<string, unknown>; msg: string }[] } {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = { debug: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) } as unknown as Logger;
  return { log, lines };
}

describe('keyframe requests', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('sends at most one a second per camera profile, with the clock offset and, once learnt, the media path', async () => {
    let now = 1_000_000;
    const sent: SynchronizationPointOptions[] = [];
    const k = new KeyframeRequests(async (o) => { sent.push(o); return { mediaPath: '/onvif/media_service' }; }, () => now);
    const { log, lines } = fakeLog();
    expect(k.request(target('Profile_1', { clockOffsetMs: 1200 }), log)).toBe(true);
    expect(k.request(target(), log)).toBe(false);
    expect(k.request(target('Profile_2'), log)).toBe(true);
    await vi.waitFor(() => expect(lines.length).toBe(2));
    expect(sent[0]).toEqual({ url: 'http://10.0.0.5/onvif/device_service', username: 'admin', password: 'pw', profileToken: 'Profile_1', timeoutMs: 2000, clockOffsetMs: 1200 });
    expect(sent[1]).not.toHaveProperty('clockOffsetMs');
    now += 999;
    expect(k.request(target(), log)).toBe(false);
    now += 1;
    expect(k.request(target(), log)).toBe(true);
    expect(sent.length).toBe(3);
    expect(sent[2]?.mediaPath).toBe('/onvif/media_service');
    expect(lines[0]).toMatchObject({ msg: 'camera asked for a keyframe', obj: { profileToken: 'Profile_1' } });
  });

  it('takes a refusal as a debug line, and looks the media service up again next time', async () => {
    let now = 0;
    const sent: SynchronizationPointOptions[] = [];
    let refuse = false;
    const k = new KeyframeRequests(async (o) => {
      sent.push(o);
      if (refuse) throw new Error('the camera answered ter:ActionNotSupported');
      return { mediaPath: '/media' };
    }, () => now);
    const { log, lines } = fakeLog();
    k.request(target(), log);
    await vi.waitFor(() => expect(lines.length).toBe(1));
    refuse = true;
    now += 1000;
    k.request(target(), log);
    await vi.waitFor(() => expect(lines.length).toBe(2));
    expect(lines[1]).toMatchObject({ msg: 'camera did not take a keyframe request', obj: { err: 'the camera answered ter:ActionNotSupported' } });
    expect(sent[1]?.mediaPath).toBe('/media');
    now += 1000;
    k.request(target(), log);
    expect(sent[2]).not.toHaveProperty('mediaPath');
  });

  it('asks once when the session plays, once more after 1.1 s if no keyframe came, then never', () => {
    vi.useFakeTimers();
    const ask = vi.fn();
    const f = new FirstKeyframe(ask);
    f.playing();
    f.playing();
    expect(ask).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(KEYFRAME_RETRY_MS - 1);
    expect(ask).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(ask).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(10_000);
    f.playing();
    expect(ask).toHaveBeenCalledTimes(2);
  });

  it('asks no more once a keyframe came; on a timer when nothing tells that the session plays', () => {
    vi.useFakeTimers();
    const ask = vi.fn();
    const f = new FirstKeyframe(ask);
    f.playing();
    f.stop();
    vi.advanceTimersByTime(5000);
    expect(ask).toHaveBeenCalledTimes(1);

    const g = new FirstKeyframe(ask);
    g.askAfter(400);
    vi.advanceTimersByTime(399);
    expect(ask).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(ask).toHaveBeenCalledTimes(2);
    g.playing(); // already asked
    vi.advanceTimersByTime(KEYFRAME_RETRY_MS);
    expect(ask).toHaveBeenCalledTimes(3);
    g.stop();
  });
});
