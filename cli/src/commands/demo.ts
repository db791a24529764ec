import { DEFAULT_TLOG } from '@sargs/sim/drone/fixtures';
import { Command, InvalidArgumentError } from 'commander';
import { parsePort } from '../options';
import type { DemoOptions } from './demo-run';

export function demoCommand(): Command {
  return new Command('demo')
    .description('run a hub, one site agent and a simulated site (ONVIF cameras with RTSP video, a drone replaying a flight log, DMX lights)')
    .option('--data <dir>', 'folder for all demo state (hub and agent LevelDB, logs, the simulated devices\' ports and camera password)', 'data/demo')
    .option('--port <port>', 'hub port', parsePort, 8080)
    .option('--cameras <n>', 'number of simulated cameras', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 32) throw new InvalidArgumentError('--cameras must be a whole number from 1 to 32.');
      return n;
    }, 4)
    .option('--tlog <file>', 'flight log the simulated drone replays', DEFAULT_TLOG)
    .option('--mavlink-port <port>', 'UDP port on 127.0.0.1 the agent relays the drone\'s MAVLink to, for a ground station such as QGroundControl', (v) => {
      const p = parsePort(v);
      if (p === 0) throw new InvalidArgumentError('--mavlink-port needs the port a ground station listens on, not 0.');
      return p;
    }, 14550)
    .option('--drone-speed <n>', 'replay the flight log n times faster than recorded (1 to 100)', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 1 || n > 100) throw new InvalidArgumentError('--drone-speed must be a number from 1 to 100.');
      return n;
    }, 1)
    // The hub, agent and simulators load only when the demo really runs (not for --help).
    .action(async (o: DemoOptions) => (await import('./demo-run')).runDemo(o));
}

