// A process that parks one live ffmpeg (live-pool.ts) and says its pid on stdout, then waits to be
// killed: the parked ffmpeg must not outlive it (live-parked-orphan.test.ts).
import { LivePool } from '@sargs/agent/video/live-pool';

const pool = new LivePool('ffmpeg', () => true, { refillAfterMs: 0, checkEveryMs: 60_000 });
pool.take('', [], () => undefined);
const timer = setInterval(() => {
  const pid = (pool as unknown as { parked?: { pid?: number } }).parked?.pid;
  if (pid) { process.stdout.write(`${pid}\n`); clearInterval(timer); }
}, 10);
setTimeout(() => process.exit(1), 60_000);
