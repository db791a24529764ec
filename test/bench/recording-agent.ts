// Child process of recording-cost.ts: one whole agent, no hub (its link keeps redialling an
// unused port, as at a site whose uplink is down), recording the cameras it is given. Run
// in its own process so its CPU and RSS are its own. Talks to the parent over the IPC channel.
// Not meant to be run by hand: node --import tsx test/bench/recording-agent.ts '<job json>'
import { join } from 'node:path';
import { Agent, parseAgentConfig } from '@sargs/agent';
import pino from 'pino';

export interface RecordingJob {
  dataDir: string;
  hubUrl: string;
  cameras: { url: string; username: string; password: string }[];
}
export interface RecordingReady {
  type: 'ready';
  cameras: { id: string; streamUri: string; ffmpegPid: number }[];
  /** Right after Agent.start, before any camera was added. */
  memoryAtStart: NodeJS.MemoryUsage;
}
export interface RecordingStatus { type: 'status'; recording: number; ffmpegPids: number[]; memory: NodeJS.MemoryUsage }

const job = JSON.parse(process.argv[2] ?? '{}') as RecordingJob;
const send = (m: RecordingReady | RecordingStatus): void => { process.send?.(m); };

const config = parseAgentConfig({ hub: { url: job.hubUrl, enrolmentToken: 'bench-no-hub-enrolment-token' }, name: 'bench-gateway', dataDir: job.dataDir }, job.dataDir);
// Production logging: info level, JSON lines to a file (as systemd would take them from stdout).
const logger = pino({ name: 'agent', level: config.logLevel }, pino.destination({ dest: join(job.dataDir, 'agent.log'), sync: false, mkdir: true }));
const agent = await Agent.start({ config, logger });
const memoryAtStart = process.memoryUsage();
const ids: string[] = [];
for (const cam of job.cameras) ids.push((await agent.cameras.add(cam)).id);

const runtimes = () => ids.map((id) => agent.cameras.runtime(id));
const deadline = Date.now() + 60_000;
while (!runtimes().every((rt) => rt?.recorder.state === 'recording' && rt.recorder.ffmpegPid !== undefined)) {
  if (Date.now() > deadline) throw new Error('not every recorder reached "recording" within 60 s');
  await new Promise((r) => setTimeout(r, 100));
}
send({
  type: 'ready',
  cameras: runtimes().map((rt) => ({ id: rt!.record.id, streamUri: rt!.record.streamUri, ffmpegPid: rt!.recorder.ffmpegPid! })),
  memoryAtStart,
});

process.on('message', (m: unknown) => {
  if (m === 'status') {
    const rts = runtimes();
    send({ type: 'status', recording: rts.filter((rt) => rt?.recorder.state === 'recording').length, ffmpegPids: rts.map((rt) => rt?.recorder.ffmpegPid ?? 0), memory: process.memoryUsage() });
  } else if (m === 'stop') {
    void agent.stop().then(() => { logger.flush(); process.exit(0); });
  }
});
// The harness died: do not leave an agent and its ffmpegs behind.
process.on('disconnect', () => { void agent.stop().finally(() => process.exit(1)); });
