// How fast the durable outbox moves events from agent to hub over a real WebSocket on
// loopback, with both LevelDBs on disk: live (hub up while events are produced) and
// backlog (events queued while the hub is down, drained when it returns).
// Run: pnpm exec tsx test/bench/outbox-throughput.ts [events]
import { cpus } from 'node:os';
import { issueAgent, startHub } from '@sargs/hub';
import { Agent, parseAgentConfig } from '@sargs/agent';
import pino from 'pino';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

const N = Number(process.argv[2] ?? 20_000);
const silent = pino({ level: 'silent' });
const hubDir = tempDir('bench-hub');
const agentDir = tempDir('bench-agent');

let hub = await startHub({ dataDir: hubDir.path, port: 0, logger: silent });
const siteId = 'bench';
await hub.store.putSite({ id: siteId, name: 'Bench', createdAt: new Date().toISOString() });
const { token } = await issueAgent(hub.store, siteId, 'bench gateway');
const port = Number(new URL(hub.url).port);
const config = parseAgentConfig({ hub: { url: hub.url.replace('http', 'ws'), enrolmentToken: token }, dataDir: agentDir.path }, agentDir.path);
const agent = await Agent.start({ config, logger: silent, backoff: { baseMs: 50, maxMs: 200 } });
await waitFor('connected', () => agent.link.state === 'connected');
await waitFor('startup event acked', () => agent.outbox.size === 0);

const event = (n: number) => agent.emit('bench.event', { n, camera: 'cam-01', detail: 'x'.repeat(100) });

let t0 = performance.now();
for (let n = 0; n < N; n++) await event(n);
const enqueueMs = performance.now() - t0;
await waitFor('live drained', () => agent.outbox.size === 0, 300_000, 5);
const liveMs = performance.now() - t0;

await hub.close();
await waitFor('disconnected', () => agent.link.state !== 'connected');
for (let n = 0; n < N; n++) await event(n);
hub = await startHub({ dataDir: hubDir.path, port, logger: silent });
t0 = performance.now();
await waitFor('backlog drained', () => agent.outbox.size === 0, 300_000, 5);
const backlogMs = performance.now() - t0;
const rssMb = process.memoryUsage().rss / 2 ** 20;

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
console.log(`events: ${N} per phase, ~180 bytes each`);
console.log(`enqueue to LevelDB (awaited one by one): ${(N / (enqueueMs / 1000)).toFixed(0)} events/s`);
console.log(`live, enqueue → hub stored and acked:   ${(N / (liveMs / 1000)).toFixed(0)} events/s (${liveMs.toFixed(0)} ms)`);
console.log(`backlog drain after hub restart:        ${(N / (backlogMs / 1000)).toFixed(0)} events/s (${backlogMs.toFixed(0)} ms, includes reconnect backoff ≤ 200 ms)`);
console.log(`process RSS (hub + agent in one process): ${rssMb.toFixed(0)} MB`);

await agent.stop();
await hub.close();
hubDir.remove();
agentDir.remove();
