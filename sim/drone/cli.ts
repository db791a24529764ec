// Runs a simulated drone from the command line, e.g.
//   pnpm exec tsx sim/drone/cli.ts --udp 127.0.0.1:14550 --speed 1 --loop
//   pnpm exec tsx sim/drone/cli.ts --pty
import { parseArgs } from 'node:util';
import { SimulatedDrone, type DroneTransport } from './index.ts';

const USAGE = `usage: cli.ts [--tlog FILE] (--udp HOST:PORT | --udp-server [HOST:]PORT | --tcp HOST:PORT | --tcp-server [HOST:]PORT | --pty)
              [--speed N|inf] [--loop] [--until-s SECONDS] [--max-records N]`;

function hostPort(value: string, defaultHost?: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  const host = colon >= 0 ? value.slice(0, colon) : defaultHost;
  const port = Number(colon >= 0 ? value.slice(colon + 1) : value);
  if (host === undefined || host === '' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`expected ${defaultHost === undefined ? 'HOST:PORT' : '[HOST:]PORT'}, got "${value}"`);
  }
  return { host: host.replace(/^\[(.*)\]$/, '$1'), port };
}

function transportFrom(values: Record<string, string | boolean | undefined>): DroneTransport {
  const chosen: DroneTransport[] = [];
  if (typeof values.udp === 'string') chosen.push({ kind: 'udp', ...hostPort(values.udp) });
  if (typeof values['udp-server'] === 'string') chosen.push({ kind: 'udp-server', ...hostPort(values['udp-server'], '127.0.0.1') });
  if (typeof values.tcp === 'string') chosen.push({ kind: 'tcp-client', ...hostPort(values.tcp) });
  if (typeof values['tcp-server'] === 'string') chosen.push({ kind: 'tcp-server', ...hostPort(values['tcp-server'], '127.0.0.1') });
  if (values.pty === true) chosen.push({ kind: 'pty' });
  const [transport, ...extra] = chosen;
  if (transport === undefined || extra.length > 0) throw new Error('choose exactly one transport');
  return transport;
}

function parseSpeed(value: string | undefined): number {
  if (value === undefined) return 1;
  const speed = /^(inf|infinity|max)$/i.test(value) ? Infinity : Number(value);
  if (!(speed > 0)) throw new Error(`--speed must be a positive number or "inf", got "${value}"`);
  return speed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tlog: { type: 'string' },
      udp: { type: 'string' },
      'udp-server': { type: 'string' },
      tcp: { type: 'string' },
      'tcp-server': { type: 'string' },
      pty: { type: 'boolean' },
      speed: { type: 'string' },
      loop: { type: 'boolean' },
      'until-s': { type: 'string' },
      'max-records': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const drone = await SimulatedDrone.start({
    tlog: values.tlog,
    transport: transportFrom(values),
    speed: parseSpeed(values.speed),
    loop: values.loop ?? false,
    untilUs: values['until-s'] === undefined ? undefined : Number(values['until-s']) * 1e6,
    maxRecords: values['max-records'] === undefined ? undefined : Number(values['max-records']),
  });
  for (const w of drone.warnings) console.warn(`tlog: skipped ${w.bytes} ${w.kind} bytes at offset ${w.offset}`);
  console.log(`replaying ${drone.records.length} records to ${drone.description}`);
  if (drone.devicePath !== undefined) console.log(`serial device: ${drone.devicePath}`);
  let stopped = false;
  const onSignal = (): void => {
    stopped = true;
    void drone.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const result = await drone.done;
  console.log(`sent ${result.frames} frames, ${result.bytes} bytes`);
  if (drone.devicePath !== undefined && !stopped) {
    // A serial device vanishing under its reader is an event of its own, and killing socat
    // now would drop frames still on their way; leave that to the user.
    console.log('replay finished; the serial device stays until Ctrl-C');
    await new Promise<void>((resolve) => ['SIGINT', 'SIGTERM'].forEach((s) => process.once(s, resolve)));
  }
  await drone.stop();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.error(USAGE);
  process.exitCode = 1;
});
