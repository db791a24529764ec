import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Site lighting over DMX512: the setup (outputs, fixtures, scenes, schedules) a site's agent
 * runs, what it reports, and what the hub may ask of it. The same setup comes from the agent's
 * configuration file (`lighting:`) or from the hub; `checkLightingSetup` (end of this file)
 * refuses a bad one with a message naming the bad value.
 */

const Name = Type.String({ minLength: 1, maxLength: 64 });
const Universe = Type.Integer({ minimum: 0, maximum: 63999, description: 'the site\'s number for this universe; Art-Net sends it as the port-address (0–32767), sACN as its universe (1–63999)' });
const ChannelValue = Type.Integer({ minimum: 0, maximum: 255 });

export const LIGHTING_DRIVERS = ['artnet', 'sacn', 'enttec-usb-dmx-pro', 'enttec-open-usb-dmx'] as const;
export type LightingDriver = (typeof LIGHTING_DRIVERS)[number];
export const SERIAL_DRIVERS: readonly LightingDriver[] = ['enttec-usb-dmx-pro', 'enttec-open-usb-dmx'];

/** One DMX interface driving one universe. Which fields apply depends on the driver (checked beyond the schema). */
export const LightingOutput = Type.Object({
  universe: Universe,
  driver: Type.Union(LIGHTING_DRIVERS.map((d) => Type.Literal(d))),
  /** Art-Net: the node's address (unicast, or a broadcast address). */
  host: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  /** Art-Net UDP port (default 6454). */
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** USB interfaces: the serial device; /dev/serial/by-id/… keeps its name when the interface is re-plugged. */
  path: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  /** Frames per second on the wire (Art-Net and USB; DMX512 allows up to 44). */
  refreshHz: Type.Optional(Type.Number({ minimum: 1, maximum: 44 })),
}, { additionalProperties: false });
export type LightingOutput = Static<typeof LightingOutput>;

/** A light on a universe: channels `startChannel … startChannel + channels.length - 1`, named by `channels`. */
export const LightingFixture = Type.Object({
  name: Name,
  universe: Universe,
  startChannel: Type.Integer({ minimum: 1, maximum: 512 }),
  /** The channel layout, e.g. ["dimmer"] or ["dimmer", "red", "green", "blue"]. */
  channels: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 512 }),
}, { additionalProperties: false });
export type LightingFixture = Static<typeof LightingFixture>;

/**
 * When a scene is on: `fixed` from `on` to `off` (HH:MM in the setup's time zone; across
 * midnight when `off` is earlier), or `dusk-to-dawn` from the site's coordinates (`from`
 * sunset or civil dusk, `to` sunrise or civil dawn).
 */
export const LightingSchedule = Type.Object({
  type: Type.Union([Type.Literal('fixed'), Type.Literal('dusk-to-dawn')]),
  on: Type.Optional(Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM' })),
  off: Type.Optional(Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM' })),
  from: Type.Optional(Type.Union([Type.Literal('sunset'), Type.Literal('dusk')])),
  to: Type.Optional(Type.Union([Type.Literal('sunrise'), Type.Literal('dawn')])),
}, { additionalProperties: false });
export type LightingSchedule = Static<typeof LightingSchedule>;

/** Named channel values per fixture; scenes later in the list win where two that are on set the same channel. */
export const LightingScene = Type.Object({
  name: Name,
  values: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Record(Type.String({ minLength: 1, maxLength: 32 }), ChannelValue)),
  /** Cameras this scene lights (camera ids), so the console can show which light a camera depends on. */
  cameras: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 })),
  schedule: Type.Optional(LightingSchedule),
}, { additionalProperties: false });
export type LightingScene = Static<typeof LightingScene>;

export const LightingSetup = Type.Object({
  /** The site's coordinates, for dusk-to-dawn schedules. */
  location: Type.Optional(Type.Object({
    latitude: Type.Number({ minimum: -90, maximum: 90 }),
    longitude: Type.Number({ minimum: -180, maximum: 180 }),
  }, { additionalProperties: false })),
  /** IANA time zone of fixed schedules (default: the gateway's). */
  timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  outputs: Type.Array(LightingOutput, { maxItems: 16 }),
  fixtures: Type.Array(LightingFixture, { maxItems: 512 }),
  scenes: Type.Array(LightingScene, { maxItems: 64 }),
}, { additionalProperties: false });
export type LightingSetup = Static<typeof LightingSetup>;

const OnOff = Type.Union([Type.Literal('on'), Type.Literal('off')]);

export const LightingOverride = Type.Object({ state: OnOff, until: Type.String(), by: Type.String() }, { additionalProperties: false });
export type LightingOverride = Static<typeof LightingOverride>;

export const LightingSceneView = Type.Object({
  name: Type.String(),
  on: Type.Boolean(),
  /** Why it is in that state now. */
  cause: Type.Union([Type.Literal('schedule'), Type.Literal('override'), Type.Literal('no-schedule')]),
  override: Type.Union([LightingOverride, Type.Null()]),
  schedule: Type.Union([LightingSchedule, Type.Null()]),
  /** What the schedule alone would do now, and when it next switches (null: never, or no schedule). */
  scheduled: Type.Boolean(),
  nextChange: Type.Union([Type.String(), Type.Null()]),
  cameras: Type.Array(Type.String()),
}, { additionalProperties: false });
export type LightingSceneView = Static<typeof LightingSceneView>;

export const LightingUniverseView = Type.Object({
  universe: Type.Integer(),
  driver: Type.String(),
  /** Where frames go: host:port, a serial path, or the sACN multicast group. */
  target: Type.String(),
  status: Type.Union([Type.Literal('starting'), Type.Literal('up'), Type.Literal('down')]),
  problem: Type.Union([Type.String(), Type.Null()]),
  since: Type.String(),
  /** Channels 1–512 as currently sent. */
  values: Type.Array(ChannelValue, { maxItems: 512 }),
}, { additionalProperties: false });
export type LightingUniverseView = Static<typeof LightingUniverseView>;

/** What a site's lighting is doing, as its agent sees it. */
export const LightingState = Type.Object({
  at: Type.String(),
  source: Type.Union([Type.Literal('none'), Type.Literal('file'), Type.Literal('hub')]),
  setBy: Type.Union([Type.String(), Type.Null()]),
  timeZone: Type.String(),
  setup: LightingSetup,
  scenes: Type.Array(LightingSceneView),
  universes: Type.Array(LightingUniverseView),
}, { additionalProperties: false });
export type LightingState = Static<typeof LightingState>;

/** Outbox event `lighting.switched`: a scene went on or off, and why. */
export const LightingSwitched = Type.Object({
  scene: Type.String({ maxLength: 64 }),
  on: Type.Boolean(),
  cause: Type.Union(['schedule', 'override', 'override-expired', 'resumed', 'setup'].map((c) => Type.Literal(c))),
  by: Type.Optional(Type.String({ maxLength: 64 })),
  until: Type.Optional(Type.String({ maxLength: 40 })),
}, { additionalProperties: false });
export type LightingSwitched = Static<typeof LightingSwitched>;

/** Outbox event `lighting.output`: a DMX interface went missing, came back, or was taken out of the setup. */
export const LightingOutputEvent = Type.Object({
  universe: Type.Integer(),
  driver: Type.String({ maxLength: 32 }),
  target: Type.String({ maxLength: 300 }),
  status: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('removed')]),
  problem: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });
export type LightingOutputEvent = Static<typeof LightingOutputEvent>;

/** Console push: a site's lighting changed; an open panel fetches the new state. */
export const LightingChanged = Type.Object({ siteId: Type.String() }, { additionalProperties: false });

/** Requests the hub sends an agent about lighting (merged into AgentRequests). */
export const LightingRequests = {
  'lighting.state': { args: Type.Object({}, { additionalProperties: false }), result: LightingState },
  /** Switches a scene on or off for `minutes`; then its schedule resumes. */
  'lighting.override': {
    args: Type.Object({ scene: Name, state: OnOff, minutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60 }), by: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
    result: LightingState,
  },
  /** Ends a scene's override at once. */
  'lighting.resume': {
    args: Type.Object({ scene: Name, by: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
    result: LightingState,
  },
  /** Replaces the site's setup (kept by the agent, preferred to its configuration file's). */
  'lighting.configure': {
    args: Type.Object({ setup: LightingSetup, by: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
    result: LightingState,
  },
};

const show = (v: unknown) => (v === undefined ? '(missing)' : JSON.stringify(v));

export type LightingCheck = { ok: true; setup: LightingSetup } | { ok: false; error: string };

/**
 * Checks a setup beyond what its schema can say: channel ranges inside 1–512, no two
 * fixtures on the same channels, scenes naming only fixtures and channels that exist,
 * schedules that can run. The message names the key and the value, as the config file has it.
 */
export function checkLightingSetup(raw: unknown, prefix = 'lighting'): LightingCheck {
  const bad = (key: string, value: unknown, why: string): LightingCheck => ({ ok: false, error: `bad value at "${[prefix, key].filter(Boolean).join('.') || '(top level)'}": ${show(value)}: ${why}` });
  // The interpreter, not the compiler: a setup is checked rarely, and the console's CSP forbids generated code.
  if (!Value.Check(LightingSetup, raw)) {
    const e = Value.Errors(LightingSetup, raw).First();
    return bad(e ? e.path.slice(1).replaceAll('/', '.') : '', e?.value, e?.message ?? 'invalid');
  }
  const s: LightingSetup = raw;
  if (s.timeZone !== undefined) {
    try { new Intl.DateTimeFormat('en-GB', { timeZone: s.timeZone }); } catch { return bad('timeZone', s.timeZone, 'not an IANA time zone (e.g. "Europe/Riga")'); }
  }
  const outputs = new Map<number, LightingOutput>();
  for (const [i, o] of s.outputs.entries()) {
    const k = `outputs.${i}`;
    if (outputs.has(o.universe)) return bad(`${k}.universe`, o.universe, 'another output already drives this universe');
    outputs.set(o.universe, o);
    if (o.driver === 'artnet' && !o.host) return bad(`${k}.host`, o.host, 'an Art-Net output needs the node\'s address');
    if (o.driver === 'artnet' && o.universe > 32767) return bad(`${k}.universe`, o.universe, 'Art-Net port-addresses are 0–32767');
    if (o.driver === 'sacn' && o.universe < 1) return bad(`${k}.universe`, o.universe, 'sACN universes are 1–63999');
    if (SERIAL_DRIVERS.includes(o.driver) && !o.path) return bad(`${k}.path`, o.path, `a USB interface (${o.driver}) needs its serial device path`);
  }
  const fixtures = new Map<string, LightingFixture>();
  for (const [i, f] of s.fixtures.entries()) {
    const k = `fixtures.${i}`;
    if (fixtures.has(f.name)) return bad(`${k}.name`, f.name, 'another fixture has this name');
    fixtures.set(f.name, f);
    if (!outputs.has(f.universe)) return bad(`${k}.universe`, f.universe, `fixture "${f.name}" is on a universe no output drives`);
    const last = f.startChannel + f.channels.length - 1;
    if (last > 512) return bad(`${k}.startChannel`, f.startChannel, `fixture "${f.name}" has ${f.channels.length} channels, so ${f.startChannel}–${last} runs past channel 512`);
    const dup = f.channels.find((c, j) => f.channels.indexOf(c) !== j);
    if (dup) return bad(`${k}.channels`, dup, `fixture "${f.name}" names this channel twice`);
    for (const other of fixtures.values()) {
      if (other === f || other.universe !== f.universe) continue;
      const otherLast = other.startChannel + other.channels.length - 1;
      if (f.startChannel <= otherLast && other.startChannel <= last) {
        return bad(`${k}.startChannel`, f.startChannel, `fixture "${f.name}" (channels ${f.startChannel}–${last} of universe ${f.universe}) overlaps fixture "${other.name}" (channels ${other.startChannel}–${otherLast})`);
      }
    }
  }
  const scenes = new Set<string>();
  for (const [i, sc] of s.scenes.entries()) {
    const k = `scenes.${i}`;
    if (scenes.has(sc.name)) return bad(`${k}.name`, sc.name, 'another scene has this name');
    scenes.add(sc.name);
    for (const [fixture, channels] of Object.entries(sc.values)) {
      const f = fixtures.get(fixture);
      if (!f) return bad(`${k}.values.${fixture}`, fixture, `scene "${sc.name}" sets a fixture that is not configured`);
      for (const ch of Object.keys(channels)) {
        if (!f.channels.includes(ch)) return bad(`${k}.values.${fixture}.${ch}`, ch, `fixture "${fixture}" has no such channel (it has ${f.channels.join(', ')})`);
      }
    }
    const sch = sc.schedule;
    if (sch?.type === 'fixed') {
      if (!sch.on || !sch.off) return bad(`${k}.schedule.${sch.on ? 'off' : 'on'}`, sch.on ? sch.off : sch.on, 'a fixed schedule needs both "on" and "off" (HH:MM)');
      if (sch.on === sch.off) return bad(`${k}.schedule.off`, sch.off, 'switching on and off at the same minute does nothing');
      if (sch.from || sch.to) return bad(`${k}.schedule.${sch.from ? 'from' : 'to'}`, sch.from ?? sch.to, '"from"/"to" belong to dusk-to-dawn schedules');
    } else if (sch?.type === 'dusk-to-dawn') {
      if (!s.location) return bad(`${k}.schedule.type`, sch.type, 'a dusk-to-dawn schedule needs the site\'s "location" (latitude, longitude)');
      if (sch.on || sch.off) return bad(`${k}.schedule.${sch.on ? 'on' : 'off'}`, sch.on ?? sch.off, 'fixed times belong to fixed schedules');
    }
  }
  return { ok: true, setup: s };
}
