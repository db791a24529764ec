import { DEFAULT_TLOG } from '@sargs/sim/drone/fixtures';
import { Command, InvalidArgumentError } from 'commander';
import { parsePort } from '../options';
import type { DemoOptions } from './demo-run';

export function demoCommand(): Command {
  return new Command('demo')
    .description('run a hub, one site agent and a simulated site (ONVIF cameras with RTSP video, a drone replaying a flight log)')
    .option('--data <dir>', 'folder for all demo state (hub and agent LevelDB, logs)', 'data/demo')
    .option('--port <port>', 'hub port', parsePort, 8080)
    .option('--cameras <n>', 'number of simulated cameras', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 32) throw new InvalidArgumentError('--cameras must be a whole number from 1 to 32.');
      return n;
    }, 4)
    .option('--tlog <file>', 'flight log the simulated drone replays', DEFAULT_TLOG)
    .option('--mavlink-port <port>', 'UDP port on 127.0.0.1 the drone sends MAVLink to', parsePort, 14550)
    // The hub, agent and simulators load only when the demo really runs (not for --help).
    .action(async (o: DemoOptions) => (await import('./demo-run')).runDemo(o));
}

