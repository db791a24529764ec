// The hub's HLS playlist builder, its Range parsing and its byte cache, on layouts shaped like the agent's.
import { describe, expect, it } from 'vitest';
import { buildPlaylist, footageSpan } from '@sargs/hub/video/playlist';
import { segmentNameTime } from '@sargs/hub/video/playlist-layouts';
import { parseRange, RangeCache } from '@sargs/hub/video/range-cache';
import type { SegmentLayout } from '@sargs/shared';

const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/** A 4 s file with two 2 s parts, starting `at`. */
function layout(at: number, name: string, seconds = 4): SegmentLayout {
  const parts = [];
  for (let i = 0, off = 800; i < seconds / 2; i++, off += 10_000) parts.push({ offset: off, length: 10_000, start: iso(at + i * 2000), durationS: 2 });
  return { path: `cam/2026-03-01/${name}`, start: iso(at), end: iso(at + seconds * 1000), bytes: 800 + parts.length * 10_000 + 200, init: { offset: 0, length: 800 }, codec: 'avc1.64001f', width: 640, height: 360, parts };
}

const uri = (p: string) => `/media?path=${encodeURIComponent(p)}`;

describe('playlist builder', () => {
  it('writes a VOD playlist: one map per file, every part with its wall-clock time and byte range, a discontinuity at each file boundary', () => {
    const a = layout(T0, 'a.mp4');
    const b = layout(T0 + 4000, 'b.mp4');
    const c = layout(T0 + 60_000, 'c.mp4'); // after a 52 s gap
    const list = buildPlaylist([c, a, b], { mediaUri: uri });
    expect(list).toMatchObject({ parts: 6, files: 3, startMs: T0, endMs: T0 + 64_000 });
    const lines = list.text.trim().split('\n');
    expect(lines.slice(0, 6)).toEqual(['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0']);
    expect(lines.slice(6, 16)).toEqual([
      `#EXT-X-MAP:URI="${uri(a.path)}",BYTERANGE="800@0"`,
      `#EXT-X-PROGRAM-DATE-TIME:${iso(T0)}`, '#EXTINF:2.000000,', '#EXT-X-BYTERANGE:10000@800', uri(a.path),
      `#EXT-X-PROGRAM-DATE-TIME:${iso(T0 + 2000)}`, '#EXTINF:2.000000,', '#EXT-X-BYTERANGE:10000@10800', uri(a.path),
      '#EXT-X-DISCONTINUITY',
    ]);
    expect(lines.filter((l) => l === '#EXT-X-DISCONTINUITY')).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('#EXT-X-MAP'))).toHaveLength(3);
    expect(lines.at(-1)).toBe('#EXT-X-ENDLIST');
    // Files in time order, whatever order the layouts came in.
    expect(lines.filter((l) => l.startsWith('/media')).map((l) => decodeURIComponent(l.split('=')[1]!))).toEqual([a.path, a.path, b.path, b.path, c.path, c.path]);
  });

  it('keeps only the parts overlapping the range, starting at the keyframe at or before it', () => {
    const a = layout(T0, 'a.mp4');
    const b = layout(T0 + 4000, 'b.mp4');
    const list = buildPlaylist([a, b], { fromMs: T0 + 3000, toMs: T0 + 5000, mediaUri: uri });
    expect(list).toMatchObject({ parts: 2, files: 2, startMs: T0 + 2000, endMs: T0 + 6000 });
    expect(list.text).not.toContain(`PROGRAM-DATE-TIME:${iso(T0)}\n`);
    expect(buildPlaylist([a], { fromMs: T0 + 10_000, toMs: T0 + 20_000, mediaUri: uri })).toMatchObject({ parts: 0, files: 0, startMs: undefined });
  });

  it('rounds the target duration up, and leaves out parts of no duration', () => {
    const a = layout(T0, 'a.mp4');
    a.parts[0]!.durationS = 2.04;
    a.parts.push({ offset: 20_800, length: 100, start: iso(T0 + 4040), durationS: 0 });
    const list = buildPlaylist([a], { mediaUri: uri });
    expect(list.text).toContain('#EXT-X-TARGETDURATION:3\n');
    expect(list.text).toContain('#EXTINF:2.040000,\n');
    expect(list.parts).toBe(2);
  });

  it('tells which footage a byte range holds', () => {
    const a = layout(T0, 'a.mp4');
    expect(footageSpan(a, 0, 799)).toBeUndefined(); // the init alone
    expect(footageSpan(a, 800, 10_799)).toEqual({ fromMs: T0, toMs: T0 + 2000 });
    expect(footageSpan(a, 0, a.bytes - 1)).toEqual({ fromMs: T0, toMs: T0 + 4000 });
  });

  it('reads the time from a segment file name', () => {
    expect(segmentNameTime('cam/2026-03-01/20260301T100000Z.mp4')).toBe(T0);
    expect(segmentNameTime('cam/x.mp4')).toBeUndefined();
  });
});

describe('HTTP ranges', () => {
  it('parses what hls.js and browsers send, and knows an unsatisfiable one', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-99', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=10-', 100)).toEqual({ start: 10, end: 99 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-1', 100)).toBeUndefined();
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange('items=0-1', 100)).toBeUndefined();
  });

  it('the range cache keeps the newest bytes within its bound and shares a fetch in flight', async () => {
    const cache = new RangeCache(1000);
    let loads = 0;
    const load = (n: number) => async () => { loads++; return Buffer.alloc(n); };
    const [x, y] = await Promise.all([cache.get('a', load(200)), cache.get('a', load(200))]);
    expect(x).toBe(y);
    expect(loads).toBe(1);
    await cache.get('b', load(200));
    await cache.get('c', load(200));
    await cache.get('a', load(200)); // a hit: now the newest
    await cache.get('d', load(200));
    await cache.get('e', load(200));
    await cache.get('f', load(200)); // over 1000 bytes: b, the least recently used, goes
    expect(cache.bytes).toBe(1000);
    expect(loads).toBe(6);
    await cache.get('a', load(200));
    expect(loads).toBe(6);
    await cache.get('b', load(200));
    expect(loads).toBe(7);
    await cache.get('huge', load(600)); // more than a quarter of the cache: served, not kept
    expect(cache.bytes).toBe(1000);
    await expect(cache.get('bad', () => Promise.reject(new Error('agent gone')))).rejects.toThrow('agent gone');
    await cache.get('bad', load(10));
    expect(loads).toBe(9);
  });
});
