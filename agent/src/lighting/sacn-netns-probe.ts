// Run by sacn-netns.test.ts inside a network namespace that has only loopback, with multicast
// routed to it, so the sACN multicast this sends cannot reach a real network. It joins the
// universe's group as a receiver, drives a SacnOutput (the dmx package's sACN driver, wrapped),
// and prints what arrived as one JSON line.
import { createSocket } from 'node:dgram';
import pino from 'pino';
import { SacnOutput } from './dmx-output';

const UNIVERSE = 7;
const receiver = createSocket({ type: 'udp4', reuseAddr: true });
const packets: Buffer[] = [];
receiver.on('message', (m) => packets.push(m));
await new Promise<void>((resolve) => receiver.bind(5568, () => resolve()));
receiver.addMembership(`239.255.${UNIVERSE >> 8}.${UNIVERSE & 255}`, '127.0.0.1');

const out = new SacnOutput({ universe: UNIVERSE, driver: 'sacn' }, { clock: { now: () => Date.now() }, log: pino({ level: 'silent' }) });
const frame = new Uint8Array(512);
frame[0] = 255;
frame[9] = 128;
frame[511] = 7;
out.start();
out.write(frame);
// Unchanged data must keep arriving (receivers drop a silent source after 2.5 s): wait for resends.
const deadline = Date.now() + 8000;
while (packets.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const status = out.status;
await out.stop();
receiver.close();
console.log(JSON.stringify({ status, problem: out.problem, target: out.target, packets: packets.map((p) => p.toString('base64')) }));
