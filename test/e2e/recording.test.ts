// Continuous recording of several real RTSP streams: every segment plays and the footage covers the time.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeDuration } from '@sargs/agent/cameras/media-probe';
import { Recorder } from '@sargs/agent/cameras/recorder';
import type { Segment } from '@sargs/agent/cameras/types';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { tempDir } from '../support/paths';
import { durationMs, FFMPEG, FFPROBE, openIndex, quietLog } from './recording-fixtures/helpers';

const CAMERAS = 4;
const RECORD_MS = 30_000;

describe('recording four cameras', () => {
  const tmp = tempDir('recording');
  const root = join(tmp.path, 'rec');
  let cams: SimulatedCamera[] = [];
  let recorders: Recorder[] = [];
  let opened: Awaited<ReturnType<typeof openIndex>> | undefined;

  beforeAll(async () => {
    cams = await Promise.all(Array.from({ length: CAMERAS }, (_, i) => SimulatedCamera.start({ name: `cam${i}`, username: 'admin', password: `pw${i}` })));
    opened = await openIndex(join(tmp.path, 'db'));
  });

  afterAll(async () => {
    await Promise.all(recorders.map((r) => r.stop()));
    await Promise.all(cams.map((c) => c.stop()));
    await opened?.db.close();
    tmp.remove();
  });

  it(`records ${RECORD_MS / 1000} s of 5 s segments that all play and cover the time within 5 %`, { timeout: 80_000 }, async () => {
    const index = opened!.index;
    const log = quietLog();
    const segments = new Map<string, Segment[]>();
    recorders = cams.map((cam, i) => new Recorder({
      camera: { id: `cam${i}`, streamUri: cam.rtspUrl, username: 'admin', password: `pw${i}` },
      root, segmentSeconds: 5, index, log, tuning: { ffmpegPath: FFMPEG },
    }));
    // Each camera is done once its finished segments span RECORD_MS from its first one.
    const covered = recorders.map((rec) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${rec.cameraId} did not record ${RECORD_MS} ms in time`)), RECORD_MS + 30_000);
      rec.on('segment', (s) => {
        const list = segments.get(rec.cameraId) ?? [];
        list.push(s);
        segments.set(rec.cameraId, list);
        if (Date.parse(s.end) - Date.parse(list[0]!.start) >= RECORD_MS) { clearTimeout(timer); resolve(); }
      });
      rec.on('state', (e) => { if (e.state === 'restarting') { clearTimeout(timer); reject(new Error(`${rec.cameraId} restarted: ${e.reason} ${e.detail}`)); } });
    }));
    for (const rec of recorders) rec.start();
    await Promise.all(covered);
    const stopAt = Date.now();
    await Promise.all(recorders.map((r) => r.stop()));

    for (const rec of recorders) {
      const segs = await index.all(rec.cameraId);
      expect(segs.length).toBeGreaterThanOrEqual(5);
      const first = Date.parse(segs[0]!.start);
      const wall = stopAt - first;
      const recorded = segs.reduce((n, s) => n + durationMs(s), 0);
      console.info(`${rec.cameraId}: ${recorded} ms recorded over ${wall} ms (${((recorded / wall - 1) * 100).toFixed(2)} %), ${segs.length} segments`);
      expect(Math.abs(recorded - wall) / wall, `${rec.cameraId}: ${recorded} ms recorded over ${wall} ms`).toBeLessThan(0.05);
      const r = await index.ranges(rec.cameraId, segs[0]!.start, new Date(stopAt).toISOString());
      expect(r.gaps).toEqual([]);
      // One after another: a hold or an export of one segment's time never takes in its neighbour.
      const overlaps = segs.slice(1).filter((s, i) => Date.parse(s.start) < Date.parse(segs[i]!.end));
      expect(overlaps.map((s) => s.start)).toEqual([]);
      for (const s of segs) {
        const p = await probeDuration(join(root, s.path), { ffprobePath: FFPROBE });
        expect(p.ok, `${s.path} plays`).toBe(true);
        // The index's length is ffmpeg's own account of the file: they must agree to a frame or two.
        if (p.ok) expect(Math.abs(p.durationS * 1000 - durationMs(s))).toBeLessThan(100);
      }
    }
  });
});
