// Child process of live-view.ts: one site (simulated cameras and a whole agent) in one process,
// run directly or inside the shaped link's site namespace (`ip netns exec`), so its CPU is its
// own. Reads a job as JSON in argv[2]; prints `READY <json>` with the cameras once every recorder
// records; answers `pids` on stdin with `PIDS <json>` (agent and its ffmpegs), `camera-stop N` and
// `camera-start N` with `CAMERA N stop|start`; ends on `stop` or EOF.
// Not meant to be run by hand.
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, parseAgentConfig } from '@sargs/agent';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import pino from 'pino';
import { childrenNamed } from './proc';

export interface SiteJob {
  dataDir: string;
  hubUrl: string;
  enrolmentToken: string;
  cameras: number;
  /** Cameras paint their wall-clock time into the picture (live encoding, costs CPU). */
  clock: boolean;
  /** Main stream format of the simulated cameras (default the simulator's 640x360). */
  video?: { width: number; height: number; fps: number; gop: number; bitrateKbps: number; noise?: number };
  segmentSeconds?: number;
}
export interface SiteCamera { id: string; name: string; rtspPort: number }

const job = JSON.parse(process.argv[2] ?? '{}') as SiteJob;
const PASSWORD = 'bench-camera-password';
const cameras: SimulatedCamera[] = [];
for (let i = 0; i < job.cameras; i++) {
  cameras.push(await SimulatedCamera.start({
    name: `Bench camera ${i + 1}`, username: 'admin', password: PASSWORD, clock: job.clock,
    ...(job.video ? { video: job.video } : {}),
  }));
}
const config = parseAgentConfig({
  hub: { url: job.hubUrl, enrolmentToken: job.enrolmentToken }, name: 'bench-site', dataDir: job.dataDir,
  ...(job.segmentSeconds ? { recordings: { segmentSeconds: job.segmentSeconds } } : {}),
}, job.dataDir);
const logger = pino({ name: 'agent', level: 'info' }, pino.destination({ dest: join(job.dataDir, 'agent.log'), sync: false, mkdir: true }));
const agent = await Agent.start({ config, logger });
const out: SiteCamera[] = [];
for (const cam of cameras) {
  const info = await agent.cameras.add({ url: `http://127.0.0.1:${cam.state.onvifPort}/onvif/device_service`, username: 'admin', password: PASSWORD });
  out.push({ id: info.id, name: cam.state.name, rtspPort: cam.state.rtspPort });
}
const deadline = Date.now() + 60_000;
while (!out.every((c) => agent.cameras.runtime(c.id)?.recorder.state === 'recording')) {
  if (Date.now() > deadline) throw new Error('not every recorder reached "recording" within 60 s');
  await new Promise((r) => setTimeout(r, 100));
}
console.log(`READY ${JSON.stringify(out)}`);

const stop = async () => {
  await agent.stop();
  for (const c of cameras) await c.stop();
  logger.flush();
  process.exit(0);
};
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'pids') console.log(`PIDS ${JSON.stringify([process.pid, ...childrenNamed(process.pid, 'ffmpeg')])}`);
  if (line === 'stop') void stop();
  // `camera-stop N` / `camera-start N`: camera N's RTSP server goes away / comes back (uplink-share.ts).
  const m = /^camera-(stop|start) (\d+)$/.exec(line);
  const cam = m ? cameras[Number(m[2])] : undefined;
  if (m && cam) void (m[1] === 'stop' ? cam.stopStream() : cam.startStream()).then(() => console.log(`CAMERA ${m[2]} ${m[1]}`));
}).on('close', () => void stop());
