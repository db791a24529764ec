import type { LightingSetup } from '@sargs/shared';

/**
 * The 512 channel values of every universe with the given scenes on. Channels no scene sets
 * are 0 (dark); where two scenes that are on set the same channel, the later one in the setup wins.
 */
export function composeFrames(setup: LightingSetup, on: ReadonlySet<string>): Map<number, Uint8Array> {
  const frames = new Map(setup.outputs.map((o) => [o.universe, new Uint8Array(512)]));
  const fixtures = new Map(setup.fixtures.map((f) => [f.name, f]));
  for (const scene of setup.scenes) {
    if (!on.has(scene.name)) continue;
    for (const [name, channels] of Object.entries(scene.values)) {
      const f = fixtures.get(name);
      const frame = f && frames.get(f.universe);
      if (!f || !frame) continue; // a checked setup has neither
      for (const [channel, value] of Object.entries(channels)) {
        const at = f.channels.indexOf(channel);
        if (at >= 0) frame[f.startChannel - 1 + at] = value;
      }
    }
  }
  return frames;
}
