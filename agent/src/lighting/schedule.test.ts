import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightingSetup } from '@sargs/shared';
import { Level } from 'level';
import pino from 'pino';
import { getTimes } from 'suncalc';
import { afterEach, describe, expect, it } from 'vitest';
import { LightingController } from './lighting-controller';
import { evaluateSchedule, zonedParts } from './schedule';
import { ArtnetReceiver } from '../../../sim/dmx/receivers';

const RIGA = { latitude: 56.95, longitude: 24.11 };
const TROMSO = { latitude: 69.65, longitude: 18.96 };
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);
const local = (t: number) => { const p = zonedParts(t, 'Europe/Riga'); return p.hour * 60 + p.minute; };
const sun = (day: string) => getTimes(new Date(`${day}T12:00:00Z`), RIGA.latitude, RIGA.longitude);

describe('dusk-to-dawn at Rīga (56.95° N, 24.11° E)', () => {
  const ctx = { location: RIGA, timeZone: 'Europe/Riga' };
  const duskToDawn = { type: 'dusk-to-dawn' as const };

  it('suncalc gives the published times (winter solstice 09:00–15:43, summer solstice 04:29–22:22 Rīga time)', () => {
    const near = (t: Date | null, hhmm: number) => expect(Math.abs(local(t!.getTime()) - hhmm)).toBeLessThanOrEqual(2);
    near(sun('2025-12-21').sunrise, 9 * 60);
    near(sun('2025-12-21').sunset, 15 * 60 + 43);
    near(sun('2026-06-21').sunrise, 4 * 60 + 29);
    near(sun('2026-06-21').sunset, 22 * 60 + 22);
  });

  for (const [season, day, nextDay] of [['winter', '2025-12-21', '2025-12-22'], ['summer', '2026-06-21', '2026-06-22']] as const) {
    it(`${season}: off before sunset, on after it, on through the night, off after sunrise`, () => {
      const sunset = sun(day).sunset!.getTime();
      const sunrise = sun(nextDay).sunrise!.getTime();
      expect(evaluateSchedule(duskToDawn, ctx, sunset - MIN)).toEqual({ on: false, nextChange: sunset });
      expect(evaluateSchedule(duskToDawn, ctx, sunset + MIN)).toEqual({ on: true, nextChange: sunrise });
      expect(evaluateSchedule(duskToDawn, ctx, at(`${nextDay}T00:30:00Z`)).on).toBe(true); // past UTC midnight
      expect(evaluateSchedule(duskToDawn, ctx, sunrise - MIN).on).toBe(true);
      const after = evaluateSchedule(duskToDawn, ctx, sunrise + MIN);
      expect(after.on).toBe(false);
      expect(after.nextChange).toBe(sun(nextDay).sunset!.getTime());
    });
  }

  it('"dusk" waits for civil dusk, not sunset', () => {
    const t = sun('2025-12-21');
    const s = { type: 'dusk-to-dawn' as const, from: 'dusk' as const, to: 'dawn' as const };
    expect(evaluateSchedule(s, ctx, t.sunset!.getTime() + MIN).on).toBe(false);
    expect(evaluateSchedule(s, ctx, t.dusk!.getTime() + MIN)).toEqual({ on: true, nextChange: sun('2025-12-22').dawn!.getTime() });
  });

  it('beyond the polar circle: on all day in polar night, off all day under the midnight sun', () => {
    const far = { location: TROMSO, timeZone: 'Europe/Oslo' };
    expect(evaluateSchedule(duskToDawn, far, at('2025-12-21T11:00:00Z')).on).toBe(true);
    expect(evaluateSchedule(duskToDawn, far, at('2026-06-21T23:00:00Z')).on).toBe(false);
  });
});

describe('fixed times', () => {
  const ctx = { timeZone: 'Europe/Riga' };
  const night = { type: 'fixed' as const, on: '22:00', off: '06:00' };

  it('22:00–06:00 Rīga time runs across midnight and across the spring DST change', () => {
    // 28 March 2026 is still EET (UTC+2); clocks go to EEST (UTC+3) at 03:00 on the 29th.
    expect(evaluateSchedule(night, ctx, at('2026-03-28T19:59:00Z'))).toEqual({ on: false, nextChange: at('2026-03-28T20:00:00Z') });
    expect(evaluateSchedule(night, ctx, at('2026-03-28T20:00:00Z'))).toEqual({ on: true, nextChange: at('2026-03-29T03:00:00Z') });
    expect(evaluateSchedule(night, ctx, at('2026-03-29T02:59:00Z')).on).toBe(true);
    expect(evaluateSchedule(night, ctx, at('2026-03-29T03:00:00Z'))).toEqual({ on: false, nextChange: at('2026-03-29T19:00:00Z') });
  });

  it('a daytime window and no schedule at all', () => {
    const day = { type: 'fixed' as const, on: '08:15', off: '17:45' };
    expect(evaluateSchedule(day, ctx, at('2026-01-10T06:14:00Z')).on).toBe(false);
    expect(evaluateSchedule(day, ctx, at('2026-01-10T06:15:00Z')).on).toBe(true);
    expect(evaluateSchedule(day, ctx, at('2026-01-10T15:45:00Z')).on).toBe(false);
    expect(evaluateSchedule(undefined, ctx, at('2026-01-10T12:00:00Z'))).toEqual({ on: false, nextChange: null });
  });
});

describe('a dusk-to-dawn scene on an injected clock drives the output', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

  for (const [season, day, nextDay] of [['winter', '2025-12-21', '2025-12-22'], ['summer', '2026-06-21', '2026-06-22']] as const) {
    it(`${season}: the floodlight goes on after sunset and off after sunrise, on the wire and in the events`, async () => {
      const rx = new ArtnetReceiver();
      await rx.start();
      cleanups.push(() => rx.stop());
      const dir = mkdtempSync(join(tmpdir(), 'sargs-lighting-'));
      const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
      await db.open();
      const sunset = sun(day).sunset!.getTime();
      const sunrise = sun(nextDay).sunrise!.getTime();
      let now = sunset - 5 * MIN;
      const events: Record<string, unknown>[] = [];
      const setup: LightingSetup = {
        location: RIGA, timeZone: 'Europe/Riga',
        outputs: [{ universe: 0, driver: 'artnet', host: '127.0.0.1', port: rx.port }],
        fixtures: [{ name: 'flood', universe: 0, startChannel: 1, channels: ['dimmer'] }],
        scenes: [{ name: 'night', values: { flood: { dimmer: 240 } }, schedule: { type: 'dusk-to-dawn' } }],
      };
      const c = await LightingController.open({
        db, log: pino({ level: 'silent' }), clock: { now: () => now }, fileSetup: setup,
        emitEvent: async (_kind, data) => { events.push(data); return events.length; },
      });
      cleanups.push(async () => { await c.stop(); await db.close(); rmSync(dir, { recursive: true, force: true }); });
      c.start();
      const dimmer = () => rx.last(0)?.data[0];

      await expect.poll(dimmer).toBe(0);
      expect((await c.state()).scenes[0]).toMatchObject({ on: false, cause: 'schedule', nextChange: new Date(sunset).toISOString() });
      now = sunset + MIN;
      await c.tick();
      await expect.poll(dimmer).toBe(240);
      expect((await c.state()).scenes[0]).toMatchObject({ on: true, nextChange: new Date(sunrise).toISOString() });
      now = sunrise - MIN;
      await c.tick();
      expect(dimmer()).toBe(240);
      now = sunrise + MIN;
      await c.tick();
      await expect.poll(dimmer).toBe(0);
      expect(events).toEqual([{ scene: 'night', on: true, cause: 'schedule' }, { scene: 'night', on: false, cause: 'schedule' }]);
    });
  }
});
