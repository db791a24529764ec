// A TCP relay that holds every chunk for a fixed time in each direction: the round trip of a slow
// uplink where the kernel has no netem (see shaped-link.ts). Run inside the site namespace:
//   tsx test/support/delay-relay.ts <listenPort> <targetHost> <targetPort> <oneWayDelayMs>
// Prints "RELAY <port>" once listening. Order is kept (timers of equal delay fire in order); a
// direction whose far side is slow pauses its source, so the relay never buffers without bound.
import { createServer, connect, type Socket } from 'node:net';

const [listenPort, host, port, delay] = process.argv.slice(2);
const DELAY_MS = Number(delay);
const MAX_HELD_BYTES = 4 * 1024 * 1024;

function pipeDelayed(from: Socket, to: Socket): void {
  let held = 0;
  from.on('data', (chunk: Buffer) => {
    held += chunk.length;
    if (held > MAX_HELD_BYTES) from.pause();
    setTimeout(() => {
      held -= chunk.length;
      if (!to.destroyed && !to.write(chunk)) from.pause();
      if (held <= MAX_HELD_BYTES && to.writableLength < MAX_HELD_BYTES) from.resume();
    }, DELAY_MS);
  });
  to.on('drain', () => { if (held <= MAX_HELD_BYTES) from.resume(); });
  from.on('end', () => setTimeout(() => to.end(), DELAY_MS));
  from.on('error', () => to.destroy());
}

const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host, port: Number(port), noDelay: true });
  pipeDelayed(client, upstream);
  pipeDelayed(upstream, client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(Number(listenPort), '127.0.0.1', () => {
  const a = server.address();
  console.log(`RELAY ${typeof a === 'object' && a ? a.port : listenPort}`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
