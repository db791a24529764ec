import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightingSetup } from '@sargs/shared';
import { Level } from 'level';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseAgentConfig } from '../config';
import { LightingController, LightingError } from './lighting-controller';

const good = (): LightingSetup => ({
  location: { latitude: 56.95, longitude: 24.11 },
  outputs: [{ universe: 0, driver: 'artnet', host: '10.0.0.50' }, { universe: 1, driver: 'enttec-usb-dmx-pro', path: '/dev/serial/by-id/usb-ENTTEC_DMX_USB_PRO_EN123456-if00-port0' }],
  fixtures: [
    { name: 'flood-north', universe: 0, startChannel: 1, channels: ['dimmer', 'red', 'green', 'blue'] },
    { name: 'ir-gate', universe: 1, startChannel: 1, channels: ['intensity'] },
  ],
  scenes: [
    { name: 'night', values: { 'flood-north': { dimmer: 255 }, 'ir-gate': { intensity: 200 } }, cameras: ['cam-yard'], schedule: { type: 'dusk-to-dawn' } },
    { name: 'cleaning', values: { 'flood-north': { dimmer: 128, red: 255 } }, schedule: { type: 'fixed', on: '05:30', off: '06:15' } },
  ],
});

const parse = (lighting: unknown) => parseAgentConfig({ hub: { url: 'ws://127.0.0.1:1', enrolmentToken: 'sargs1.token-for-tests' }, lighting }, '/tmp');
const refusal = (lighting: unknown): string => {
  try {
    parse(lighting);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('lighting configuration', () => {
  it('a good setup is taken as written', () => {
    expect(parse(good()).lighting).toEqual(good());
    expect(parse(undefined).lighting).toBeUndefined();
  });

  const cases: [string, (s: LightingSetup) => void, RegExp][] = [
    ['a channel value above 255', (s) => { s.scenes[0]!.values['flood-north']!.dimmer = 300; }, /"lighting\.scenes\.0\.values\.flood-north\.dimmer": 300: Expected integer to be less or equal to 255/],
    ['a negative value', (s) => { s.scenes[1]!.values['flood-north']!.red = -1; }, /"lighting\.scenes\.1\.values\.flood-north\.red": -1/],
    ['channel 0', (s) => { s.fixtures[0]!.startChannel = 0; }, /"lighting\.fixtures\.0\.startChannel": 0/],
    ['a fixture running past channel 512', (s) => { s.fixtures[0]!.startChannel = 510; }, /"lighting\.fixtures\.0\.startChannel": 510: fixture "flood-north" has 4 channels, so 510–513 runs past channel 512/],
    ['overlapping fixtures', (s) => { s.fixtures.push({ name: 'flood-south', universe: 0, startChannel: 3, channels: ['dimmer', 'strobe'] }); },
      /"lighting\.fixtures\.2\.startChannel": 3: fixture "flood-south" \(channels 3–4 of universe 0\) overlaps fixture "flood-north" \(channels 1–4\)/],
    ['a scene naming a fixture that does not exist', (s) => { s.scenes[0]!.values['flood-west'] = { dimmer: 1 }; }, /"lighting\.scenes\.0\.values\.flood-west": "flood-west": scene "night" sets a fixture that is not configured/],
    ['a scene naming a channel the fixture lacks', (s) => { s.scenes[0]!.values['ir-gate'] = { zoom: 10 }; }, /"lighting\.scenes\.0\.values\.ir-gate\.zoom": "zoom": fixture "ir-gate" has no such channel \(it has intensity\)/],
    ['a fixture on a universe nothing drives', (s) => { s.fixtures[1]!.universe = 7; }, /"lighting\.fixtures\.1\.universe": 7: fixture "ir-gate" is on a universe no output drives/],
    ['dusk-to-dawn without the site\'s coordinates', (s) => { delete s.location; }, /"lighting\.scenes\.0\.schedule\.type": "dusk-to-dawn": a dusk-to-dawn schedule needs the site's "location"/],
    ['a time that is not HH:MM', (s) => { s.scenes[1]!.schedule!.on = '25:00'; }, /"lighting\.scenes\.1\.schedule\.on": "25:00"/],
    ['a serial output without its path', (s) => { delete s.outputs[1]!.path; }, /"lighting\.outputs\.1\.path": \(missing\): a USB interface \(enttec-usb-dmx-pro\) needs its serial device path/],
    ['an unknown time zone', (s) => { s.timeZone = 'Europe/Atlantis'; }, /"lighting\.timeZone": "Europe\/Atlantis": not an IANA time zone/],
    ['two scenes with one name', (s) => { s.scenes[1]!.name = 'night'; }, /"lighting\.scenes\.1\.name": "night": another scene has this name/],
  ];
  for (const [what, spoil, message] of cases) {
    it(`refuses ${what}, naming the key and the value`, () => {
      const s = good();
      spoil(s);
      expect(refusal(s)).toMatch(message);
    });
  }

  it('the agent refuses a bad setup from the hub the same way and keeps the one it runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sargs-lighting-'));
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    await db.open();
    try {
      const c = await LightingController.open({ db, log: pino({ level: 'silent' }), clock: { now: () => Date.now() }, fileSetup: good(), emitEvent: async () => 1 });
      const bad = good();
      bad.scenes[0]!.values['flood-north']!.dimmer = 256;
      const err = await c.configure(bad, 'admin').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LightingError);
      expect(err).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/"setup\.scenes\.0\.values\.flood-north\.dimmer": 256/) });
      expect((await c.state()).setup).toEqual(good());
      expect((await c.state()).source).toBe('file');
      await expect(c.override('no-such-scene', 'on', 5, 'admin')).rejects.toMatchObject({ code: 'not-found', message: 'no scene "no-such-scene" at this site' });
      await c.stop();
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
