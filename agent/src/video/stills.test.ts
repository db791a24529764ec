// Stills from real segments: the right keyframe, scaled, cached, and no more than two decodes at once.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Segment } from '../cameras/types';
import { SegmentLayouts } from './segment-layout-cache';
import { recorderSegments } from './segment-layout-test-helpers';
import { DecodeSlots, StillError, Stills } from './stills';

const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);
const CAM = 'cam-1';

/** Width and height from a JPEG's SOF0 marker. */
function jpegSize(jpeg: Buffer): { width: number; height: number } {
  let at = 2;
  while (at < jpeg.length) {
    const marker = jpeg.readUInt16BE(at);
    if (marker >= 0xffc0 && marker <= 0xffc2) return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  throw new Error('no SOF marker');
}

async function poll(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('stills', () => {
  let dir: string;
  let layouts: SegmentLayouts;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sargs-stills-'));
    const files = await recorderSegments(join(dir, 'made'), 8, '640x360');
    const root = join(dir, 'root');
    const segs: Segment[] = files.map((f, i) => {
      const start = T0 + i * 4000;
      const stamp = new Date(start).toISOString();
      const path = `${CAM}/${stamp.slice(0, 10)}/${stamp.slice(0, 19).replace(/[-:]/g, '')}Z.mp4`;
      mkdirSync(join(root, CAM, stamp.slice(0, 10)), { recursive: true });
      copyFileSync(f, join(root, path));
      return { cameraId: CAM, path, bytes: readFileSync(f).length, start: stamp, end: new Date(start + 4000).toISOString() };
    });
    layouts = new SegmentLayouts({
      root, log: pino({ level: 'silent' }), recording: () => false,
      index: { list: async (id, from, to) => segs.filter((s) => s.cameraId === id && s.end > from && s.start < to) },
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes the keyframe at or before the moment, at the asked width, and keeps it', async () => {
    const stills = new Stills({ layouts, log: pino({ level: 'silent' }) });
    const started = Date.now();
    const a = await stills.still(CAM, T0 + 5900, 320);
    const firstMs = Date.now() - started;
    expect(a.takenAt).toBe(new Date(T0 + 4000).toISOString());
    expect(jpegSize(a.jpeg)).toEqual({ width: 320, height: 180 });
    // Anywhere in the same GOP: the same still, from the cache.
    const again = Date.now();
    const b = await stills.still(CAM, T0 + 4100, 320);
    expect(b.jpeg).toBe(a.jpeg);
    expect(Date.now() - again).toBeLessThan(firstMs);
    const c = await stills.still(CAM, T0 + 6000, 160);
    expect(c.takenAt).toBe(new Date(T0 + 6000).toISOString());
    expect(jpegSize(c.jpeg).width).toBe(160);
    await expect(stills.still(CAM, T0 + 60_000, 320)).rejects.toMatchObject({ code: 'no-footage' });
  });

  it('runs two decodes at once; a third waits, and leaves the queue when its caller goes away', async () => {
    // An ffmpeg that says it started, then holds until the test lets it go.
    const gate = join(dir, 'gate');
    const started = join(dir, 'started');
    const fake = join(dir, 'slow-ffmpeg.sh');
    writeFileSync(fake, `#!/bin/sh\necho x >> '${started}'\nwhile [ ! -e '${gate}' ]; do sleep 0.02; done\nexec /usr/bin/ffmpeg "$@"\n`);
    chmodSync(fake, 0o755);
    const stills = new Stills({ layouts, log: pino({ level: 'silent' }), ffmpegPath: fake });
    const count = () => (existsSync(started) ? readFileSync(started, 'utf8').trim().split('\n').length : 0);
    const one = stills.still(CAM, T0 + 100, 320);
    const two = stills.still(CAM, T0 + 2100, 320);
    await poll('two decodes running', () => count() === 2);
    const leaving = new AbortController();
    const threeFailed = stills.still(CAM, T0 + 4100, 320, leaving.signal).catch((e: unknown) => e);
    await poll('a third waiting', () => stills.slots.queued === 1);
    expect(stills.slots.active).toBe(2);
    leaving.abort();
    expect(await threeFailed).toBeInstanceOf(StillError);
    expect(stills.slots.queued).toBe(0);
    writeFileSync(gate, '');
    expect((await one).takenAt).toBe(new Date(T0).toISOString());
    expect((await two).takenAt).toBe(new Date(T0 + 2000).toISOString());
    expect(count()).toBe(2); // the cancelled one never ran
    expect(stills.slots.active).toBe(0);
  });

  it('decode slots hand over in order and a cancelled waiter takes none', async () => {
    const slots = new DecodeSlots(1);
    const r1 = await slots.acquire();
    const gone = new AbortController();
    const w2 = slots.acquire(gone.signal);
    const w3 = slots.acquire();
    expect(slots.queued).toBe(2);
    gone.abort();
    await expect(w2).rejects.toMatchObject({ code: 'cancelled' });
    r1();
    r1(); // releasing twice frees one slot only
    const r3 = await w3;
    expect(slots.active).toBe(1);
    r3();
    expect(slots.active).toBe(0);
  });
});
