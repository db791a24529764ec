// Starts simulated cameras for manual use and demos; prints their URLs and runs until Ctrl-C.
//   tsx sim/camera/cli.ts --count 3 --username admin --password admin
// Discovery sends nothing but does join a multicast group: pass --discovery only inside a test namespace.
// --clock: live streams with the wall-clock time burnt into every frame (clock-pattern.ts) instead of looped clips.
import { parseArgs } from 'node:util';
import { SimulatedCamera } from './index';

const USAGE = `usage: cli.ts [--count N] [--name PREFIX] [--username U] [--password P] [--host ADDR]
              [--reported-host HOST] [--skew-ms MS] [--discovery] [--discovery-interface ADDR] [--clock] [--json]`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '1' },
      name: { type: 'string', default: 'Sim Camera' },
      username: { type: 'string', default: 'admin' },
      password: { type: 'string', default: 'admin' },
      host: { type: 'string', default: '127.0.0.1' },
      'reported-host': { type: 'string' },
      'skew-ms': { type: 'string', default: '0' },
      discovery: { type: 'boolean', default: false },
      'discovery-interface': { type: 'string' },
      clock: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const count = Number(values.count);
  const skew = Number(values['skew-ms']);
  if (values.help || !Number.isInteger(count) || count < 1 || count > 64 || !Number.isFinite(skew)) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  return { ...values, count, skew };
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const cameras: SimulatedCamera[] = [];
  let stopping = false;
  const shutdown = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await Promise.allSettled(cameras.map((c) => c.stop()));
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    for (let i = 1; i <= opts.count; i++) {
      cameras.push(await SimulatedCamera.start({
        name: opts.count === 1 ? opts.name : `${opts.name} ${i}`,
        username: opts.username,
        password: opts.password,
        host: opts.host,
        ...(opts['reported-host'] !== undefined ? { reportedHost: opts['reported-host'] } : {}),
        clockSkewMs: opts.skew,
        discovery: opts.discovery ? { interface: opts['discovery-interface'] ?? '127.0.0.1' } : false,
        clock: opts.clock,
      }));
    }
  } catch (err) {
    console.error(`failed to start cameras: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown(1);
  }

  for (const cam of cameras) {
    const info = { name: cam.name, onvif: cam.deviceServiceUrl, rtsp: cam.rtspUrl, subRtsp: cam.subRtspUrl, snapshot: cam.snapshotUrl, endpointReference: cam.endpointReference };
    console.log(opts.json ? JSON.stringify(info) : `${info.name}\n  onvif:    ${info.onvif}\n  rtsp:     ${info.rtsp}\n  sub rtsp: ${info.subRtsp}\n  snapshot: ${info.snapshot}\n  urn:      ${info.endpointReference}`);
  }
  console.log(opts.json ? JSON.stringify({ ready: cameras.length }) : `${cameras.length} camera(s) running (user ${opts.username}); Ctrl-C to stop`);
}

void main();
