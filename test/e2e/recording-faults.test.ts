// The recorder under faults: the stream goes away, ffmpeg is killed, the whole recording process is killed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeDuration } from '@sargs/agent/cameras/media-probe';
import { Recorder, type RecorderStateEvent } from '@sargs/agent/cameras/recorder';
import { reconcile } from '@sargs/agent/cameras/reconcile';
import type { Segment } from '@sargs/agent/cameras/types';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { repoRoot, tempDir } from '../support/paths';
import { waitFor } from '../support/wait';
import { assertDiskMatchesIndex, durationMs, FAST_TUNING, FFPROBE, nextSegment, nextState, openIndex, quietLog } from './recording-fixtures/helpers';

const CHILD = join(repoRoot, 'test', 'e2e', 'recording-fixtures', 'record-child.ts');
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('recorder faults', () => {
  let cam: SimulatedCamera;
  const tmp = tempDir('recording-faults');
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => { cam = await SimulatedCamera.start({ name: 'faulty', username: 'admin', password: 'pw' }); });
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });
  afterAll(async () => { await cam.stop(); tmp.remove(); });

  async function recorder(name: string, segmentSeconds: number, tuning = {}, extra: { activity?: null } = {}) {
    const { db, index } = await openIndex(join(tmp.path, `${name}-db`));
    const root = join(tmp.path, `${name}-rec`);
    const rec = new Recorder({ camera: { id: name, streamUri: cam.rtspUrl }, root, segmentSeconds, index, log: quietLog(), tuning: { ...FAST_TUNING, ...tuning }, ...extra });
    const states: RecorderStateEvent[] = [];
    rec.on('state', (e) => states.push(e));
    cleanups.push(async () => { await rec.stop(); await db.close(); });
    return { rec, index, root, states, db };
  }

  it('a stream that stops makes the recorder restart with a reason, and the index shows the gap', { timeout: 40_000 }, async () => {
    const { rec, index, states } = await recorder('stopped', 2);
    const firstSeg = nextSegment(rec, () => true, 15_000, 'a first segment');
    rec.start();
    const first = await firstSeg;

    const restarting = nextState(rec, (e) => e.state === 'restarting', 15_000, 'restarting after the stream stopped');
    await cam.stopStream();
    const r = await restarting;
    expect(['exited', 'unreachable', 'no-video']).toContain(r.reason);
    expect(r.detail).toBeTruthy();
    // While the port is closed, retries fail with a connection refusal.
    const refused = await nextState(rec, (e) => e.state === 'restarting' && e.reason === 'unreachable', 10_000, 'an unreachable retry');
    expect(refused.detail).toMatch(/refused/i);
    expect(rec.failure).toBe('unreachable');
    await nextState(rec, (e) => e.state === 'restarting' && e.reason === 'unreachable', 10_000, 'a second unreachable retry');

    const recording = nextState(rec, (e) => e.state === 'recording', 15_000, 'recording again');
    await cam.startStream();
    await recording;
    expect(rec.failure).toBeUndefined();
    const resumed = await nextSegment(rec, () => true, 15_000, 'a segment after the restart');
    await rec.stop();
    // Within one ffmpeg run segments are contiguous to the millisecond, so a tight merge threshold is safe.
    const summary = await index.ranges('stopped', first.start, new Date().toISOString(), 300);
    expect(summary.ranges.length).toBeGreaterThanOrEqual(2);
    expect(summary.gaps.length).toBeGreaterThanOrEqual(1);
    const gap = summary.gaps[0]!;
    expect(Date.parse(gap.to) - Date.parse(gap.from)).toBeGreaterThan(700);
    expect(Date.parse(gap.to)).toBeLessThanOrEqual(Date.parse(resumed.start));
    expect(states.map((s) => s.state)).toEqual(expect.arrayContaining(['starting', 'recording', 'restarting']));
  });

  // Video is seen in ffmpeg's writes (/proc/<pid>/io) where the system allows, else in its progress reports.
  it.each<[string, { activity?: null }]>([
    ['its writes', {}],
    ['its progress reports', { activity: null }],
  ])('a frozen stream (session open, no frames) is noticed through %s and ffmpeg restarted with no-video', { timeout: 30_000 }, async (_how, extra) => {
    const { rec } = await recorder(extra.activity === null ? 'frozen-reports' : 'frozen', 2, { stallTimeoutMs: 2000 }, extra);
    const recording = nextState(rec, (e) => e.state === 'recording', 15_000, 'recording');
    rec.start();
    await recording;
    const restarting = nextState(rec, (e) => e.state === 'restarting', 10_000, 'restarting after the freeze');
    await cam.freeze();
    const frozenAt = Date.now();
    const r = await restarting;
    expect(r.reason).toBe('no-video');
    expect(Date.now() - frozenAt).toBeLessThan(6000);
    const again = nextState(rec, (e) => e.state === 'recording', 15_000, 'recording after the thaw');
    await cam.unfreeze();
    await again;
    await rec.stop();
  });

  it('kill -9 of ffmpeg mid-segment: the recorder restarts, the partial file is salvaged and plays', { timeout: 40_000 }, async () => {
    const { rec, index, root } = await recorder('killed', 3);
    const segs: Segment[] = [];
    rec.on('segment', (s) => segs.push(s));
    rec.start();
    const before = await nextSegment(rec, () => true, 15_000, 'a first segment');
    // Mid-segment: a good second of the next file written.
    await waitFor('1.5 s into the next segment', () => (rec.lastFrameAt ?? 0) - Date.parse(before.end) >= 1500, 10_000);
    const pid = rec.ffmpegPid!;
    const restarting = nextState(rec, (e) => e.state === 'restarting', 10_000, 'restarting after kill -9');
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const r = await restarting;
    expect(r.detail).toMatch(/SIGKILL/);
    await nextState(rec, (e) => e.state === 'recording', 15_000, 'recording again');
    await nextSegment(rec, () => true, 15_000, 'a segment from the new ffmpeg');
    await rec.stop();

    // The recorder salvaged the killed file at once; reconcile finds nothing left to do.
    const partial = segs.find((s) => s.start > before.start && Date.parse(s.start) < killedAt && s.path !== before.path);
    expect(partial, 'salvaged segment').toBeDefined();
    const probe = await probeDuration(join(root, partial!.path), { ffprobePath: FFPROBE });
    expect(probe.ok).toBe(true);
    const lostMs = killedAt - Date.parse(before.end) - (probe.ok ? probe.durationS * 1000 : 0);
    console.info(`kill -9 of ffmpeg: ${Math.round(lostMs)} ms of footage lost`);
    expect(lostMs).toBeLessThan(1000);
    const summary = await reconcile(root, index, quietLog());
    expect(summary).toMatchObject({ indexed: 0, removed: 0 });
    await assertDiskMatchesIndex(root, index, 'killed');
  });

  it('kill -9 of the whole recording process: its ffmpeg stops too, and reconcile indexes what it left', { timeout: 40_000 }, async () => {
    const root = join(tmp.path, 'child-rec');
    const dbDir = join(tmp.path, 'child-db');
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, cam.rtspUrl, root, dbDir, '2'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    cleanups.push(async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; } });
    let ffmpegPid: number | undefined;
    let lastSegment: Segment | undefined;
    let lastFrameAt = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const ev = JSON.parse(line) as { type: string; ffmpegPid?: number; segment?: Segment; lastFrameAt?: number };
      if (ev.type === 'state' && ev.ffmpegPid) ffmpegPid = ev.ffmpegPid;
      if (ev.type === 'segment') lastSegment = ev.segment;
      if (ev.type === 'progress') lastFrameAt = ev.lastFrameAt ?? 0;
    });
    cleanups.push(() => { if (ffmpegPid && alive(ffmpegPid)) process.kill(ffmpegPid, 'SIGKILL'); });
    await waitFor('a segment and a second into the next', () => lastSegment && lastFrameAt - Date.parse(lastSegment.end) >= 1000, 30_000);
    const pid = ffmpegPid!;
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await exited;
    // ffmpeg got SIGINT from the kernel when its parent died, and finishes its file.
    await waitFor('the orphaned ffmpeg to exit', () => !alive(pid), 10_000);
    const goneAfterMs = Date.now() - killedAt;

    const { db, index } = await openIndex(dbDir);
    cleanups.push(() => db.close());
    const before = await index.all('child-cam');
    const summary = await reconcile(root, index, quietLog());
    expect(summary.indexed).toBeGreaterThanOrEqual(1);
    expect(summary.removed).toBe(0);
    const { segments, quarantined } = await assertDiskMatchesIndex(root, index, 'child-cam');
    expect(segments.length).toBe(before.length + summary.indexed);
    expect(quarantined).toEqual([]);
    const last = segments[segments.length - 1]!;
    const lostMs = killedAt - Date.parse(lastSegment!.end) - durationMs(last);
    console.info(`kill -9 of the recording process: ffmpeg gone after ${goneAfterMs} ms, ${Math.round(lostMs)} ms of footage lost`);
    expect(lostMs).toBeLessThan(1500);
  });
});
