// The demo's stand-in for a site's DMX lights: an Art-Net node on loopback. Whenever what
// it receives changes, it says which lights are on, so a switch made in the console can be
// seen to reach the "lights".
import type { LightingFixture } from '@sargs/shared';
import { ArtnetReceiver, type ArtDmx } from '@sargs/sim/dmx/receivers';

export class SimulatedLights {
  private last: string | undefined;

  private constructor(private readonly receiver: ArtnetReceiver) {}

  /** Listens on `preferredPort` if it is free, else on a port the kernel picks. */
  static async start(preferredPort: number | undefined): Promise<SimulatedLights> {
    const receiver = new ArtnetReceiver();
    if (preferredPort) await receiver.start(preferredPort).catch(() => receiver.start(0));
    else await receiver.start(0);
    return new SimulatedLights(receiver);
  }

  get port(): number { return this.receiver.port; }

  /** Calls `say` with a line naming what is lit each time universe `universe`'s levels change. */
  report(universe: number, fixtures: readonly LightingFixture[], say: (line: string) => void): void {
    const mine = fixtures.filter((f) => f.universe === universe);
    this.receiver.on('dmx', (p: ArtDmx) => {
      if (p.universe !== universe) return;
      const line = `Lights (simulated DMX universe ${universe}): ${describeLevels(p.data, mine)}`;
      if (line === this.last) return;
      this.last = line;
      say(line);
    });
  }

  stop(): Promise<void> {
    this.receiver.removeAllListeners('dmx');
    return this.receiver.stop();
  }
}

/** "entrance-door dimmer 255; entrance-canopy dimmer 200 red 255 …", or "all off". */
export function describeLevels(data: Uint8Array, fixtures: readonly LightingFixture[]): string {
  const lit = fixtures.flatMap((f) => {
    const levels = f.channels.map((ch, i) => [ch, data[f.startChannel - 1 + i] ?? 0] as const);
    return levels.some(([, v]) => v > 0) ? [`${f.name} ${levels.map(([ch, v]) => `${ch} ${v}`).join(' ')}`] : [];
  });
  return lit.length ? lit.join('; ') : 'all off';
}
