// The parked live ffmpeg: started ahead, it waits on its stdin; given a script naming an input (here
// a file, whose name needs ffconcat's quoting) it copies it to fMP4 like a live ffmpeg started on
// it directly. Unwanted, it is ended; its agent killed, it ends too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concatScript, liveInputOptions } from './live-ffmpeg';
import { LiveFragmenter, type LiveChunk } from './live-fragmenter';
import { LivePool } from './live-pool';

const dir = mkdtempSync(join(tmpdir(), 'sargs-live-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (what: string, ok: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('parked live ffmpeg', () => {
  it('writes the address and the input options as an ffconcat script, quoted', () => {
    const script = concatScript("rtsp://admin:it's@10.0.0.5/stream", liveInputOptions({ ioTimeoutSeconds: 5 }));
    expect(script).toBe([
      'ffconcat version 1.0',
      "file 'rtsp://admin:it'\\''s@10.0.0.5/stream'",
      "option rtsp_transport 'tcp'", "option timeout '5000000'", "option allowed_media_types 'video'",
      "option fpsprobesize '0'", "option probesize '32'", '',
    ].join('\n'));
  });

  it('is made after a take, and once loaded copies what its script names into fMP4, one fragment a frame', async () => {
    const clip = join(dir, "clip it's.mp4");
    const enc = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25',
      '-frames:v', '10', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '5', '-y', clip]);
    expect(enc.status, enc.stderr.toString()).toBe(0);
    const pool = new LivePool('ffmpeg', () => true, { refillAfterMs: 10, checkEveryMs: 50 });
    try {
      const chunks: LiveChunk[] = [];
      const fragmenter = new LiveFragmenter();
      const onData = (c: Buffer) => chunks.push(...fragmenter.push(c));
      // Nothing parked before the first live view; one is made shortly after.
      expect(pool.take(clip, [], onData)).toBeUndefined();
      await until('an ffmpeg parked', () => pool.holding);
      // Taken at once, even while still loading: it reads its script when it gets there.
      // An absolute address: a bare path would be read relative to the script's own, pipe:0.
      const ff = pool.take(`file:${clip}`, [], onData);
      expect(ff).toBeDefined();
      expect(pool.holding).toBe(false);
      const exit = await ff!.exited;
      expect(exit.code, exit.stderrTail.join('\n')).toBe(0);
      expect(chunks[0]).toMatchObject({ kind: 'init', info: { width: 320, height: 180 } });
      const fragments = chunks.filter((c) => c.kind === 'fragment');
      expect(fragments.map((f) => f.keyframe)).toEqual([true, false, false, false, false, true, false, false, false, false]);
      expect(pool.taken).toBe(1);
      // And another is parked for the next live view.
      await until('the next one parked', () => pool.holding);
      expect(pool.made).toBe(2);
    } finally {
      pool.stop();
    }
  });

  it('is ended when no longer wanted, and made again only after the next take', async () => {
    let wanted = true;
    const pool = new LivePool('ffmpeg', () => wanted, { refillAfterMs: 10, checkEveryMs: 50 });
    try {
      expect(pool.take('rtsp://127.0.0.1:1/x', [], () => undefined)).toBeUndefined();
      await until('an ffmpeg parked', () => pool.holding);
      wanted = false;
      await until('the parked ffmpeg ended', () => !pool.holding, 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect(pool.holding).toBe(false);
      expect(pool.made).toBe(1);
    } finally {
      pool.stop();
    }
  });
});
