// The demo's drone: replays a real flight log once, as its autopilot sent it, then stays
// silent for a while and flies it again. Each replay ends as a real flight would from the
// ground station's side: the link goes quiet, so the agent reports it lost, and the flight it
// recorded goes to the logbook. Replaying for ever without a gap would show neither.
import { readFile } from 'node:fs/promises';
import { parseTlog } from '@sargs/shared/mavlink/tlog';
import { realClock } from '@sargs/sim/drone/clock';
import { SimulatedDrone } from '@sargs/sim/drone/index';
import type { Logger } from 'pino';

export interface DemoDroneOptions {
  tlog: string;
  /** The agent's MAVLink endpoint on 127.0.0.1. */
  port: number;
  /** 1 = the recorded pace. */
  speed: number;
  /** Silence between the end of one replay and the start of the next. */
  pauseMs: number;
  log: Logger;
  /** Told when a replay ends, with its number from 1. */
  onFlightEnd?: (n: number) => void;
}

export class DemoDrone {
  private readonly abort = new AbortController();
  private current: SimulatedDrone | undefined;
  private running: Promise<void> = Promise.resolve();

  private constructor(private readonly o: DemoDroneOptions, private readonly tlog: Buffer, readonly replaySeconds: number) {}

  static async start(o: DemoDroneOptions): Promise<DemoDrone> {
    const tlog = await readFile(o.tlog);
    const { records } = parseTlog(tlog);
    const first = records[0];
    const last = records.at(-1);
    if (!first || !last) throw new Error(`the drone's flight log ${o.tlog} has no MAVLink records`);
    const drone = new DemoDrone(o, tlog, Number(last.timeUs - first.timeUs) / 1e6 / o.speed);
    drone.running = drone.fly();
    return drone;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.current?.stop();
    await this.running;
  }

  private async fly(): Promise<void> {
    const signal = this.abort.signal;
    for (let n = 1; !signal.aborted; n++) {
      try {
        // SITL logs report no battery; the simulated one drains over each replay, a fresh pack per flight.
        this.current = await SimulatedDrone.start({
          tlog: this.tlog, transport: { kind: 'udp', host: '127.0.0.1', port: this.o.port }, speed: this.o.speed, battery: true,
        });
        if (signal.aborted) break;
        await this.current.done;
        if (signal.aborted) break;
        this.o.onFlightEnd?.(n);
      } catch (err) {
        this.o.log.warn({ err: String(err), replay: n }, 'the simulated drone\'s replay failed; trying again after the pause');
      } finally {
        await this.current?.stop();
        this.current = undefined;
      }
      await realClock.sleep(this.o.pauseMs, signal);
    }
  }
}
