// The demo site's lighting: one Art-Net universe (the simulated node) with an entrance, a car
// park and a reception, in the form an agent's configuration file takes (README, lighting).
import type { LightingSetup } from '@sargs/shared';

export const DEMO_UNIVERSE = 0;

export function demoLightingSetup(artnetPort: number): LightingSetup {
  return {
    // Vecpiebalga, Latvia: dusk and dawn for the car park's schedule come from here.
    location: { latitude: 57.06, longitude: 25.81 },
    timeZone: 'Europe/Riga',
    outputs: [{ universe: DEMO_UNIVERSE, driver: 'artnet', host: '127.0.0.1', port: artnetPort, refreshHz: 10 }],
    fixtures: [
      { name: 'entrance-door', universe: DEMO_UNIVERSE, startChannel: 1, channels: ['dimmer'] },
      { name: 'entrance-canopy', universe: DEMO_UNIVERSE, startChannel: 2, channels: ['dimmer', 'red', 'green', 'blue'] },
      { name: 'car-park-flood-north', universe: DEMO_UNIVERSE, startChannel: 11, channels: ['dimmer'] },
      { name: 'car-park-flood-south', universe: DEMO_UNIVERSE, startChannel: 12, channels: ['dimmer'] },
      { name: 'car-park-ir', universe: DEMO_UNIVERSE, startChannel: 13, channels: ['intensity'] },
      { name: 'reception', universe: DEMO_UNIVERSE, startChannel: 21, channels: ['dimmer'] },
    ],
    scenes: [
      { name: 'Entrance lights', values: { 'entrance-door': { dimmer: 255 }, 'entrance-canopy': { dimmer: 200, red: 255, green: 190, blue: 120 } } },
      {
        name: 'Car park floodlights',
        values: { 'car-park-flood-north': { dimmer: 255 }, 'car-park-flood-south': { dimmer: 255 }, 'car-park-ir': { intensity: 180 } },
        schedule: { type: 'dusk-to-dawn' },
      },
      { name: 'Reception cleaning', values: { reception: { dimmer: 160 } }, schedule: { type: 'fixed', on: '05:30', off: '06:30' } },
    ],
  };
}

/** How the schedules read in the demo's printed summary. */
export function describeScenes(setup: LightingSetup): string {
  return setup.scenes.map((s) => {
    const when = s.schedule?.type === 'dusk-to-dawn' ? 'dusk to dawn' : s.schedule?.type === 'fixed' ? `${s.schedule.on}–${s.schedule.off}` : 'switched by hand';
    return `"${s.name}" (${when})`;
  }).join(', ');
}
