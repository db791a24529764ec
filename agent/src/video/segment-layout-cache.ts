import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SegmentLayout } from '@sargs/shared';
import type { Logger } from 'pino';
import { END_OF_TIME_ISO, segmentFile, type SegmentStore } from '../cameras/segment-store';
import { dayOf, segmentNameTime, segmentRelPath } from '../cameras/segment-paths';
import type { Segment } from '../cameras/types';
import { partsOf, readFileLayout, type FileLayout, type PartInfo } from './segment-layout';

/** A least-recently-used map bounded by entries and, when a size is given per entry, by bytes. */
export class Lru<V> {
  private readonly map = new Map<string, { value: V; size: number }>();
  private total = 0;
  constructor(private readonly maxEntries: number, private readonly maxBytes = Infinity) {}

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  set(key: string, value: V, size = 0): void {
    if (size > this.maxBytes) return;
    const old = this.map.get(key);
    if (old) { this.total -= old.size; this.map.delete(key); }
    this.map.set(key, { value, size });
    this.total += size;
    for (const [k, e] of this.map) {
      if (this.map.size <= this.maxEntries && this.total <= this.maxBytes) break;
      this.map.delete(k);
      this.total -= e.size;
    }
  }

  get size(): number { return this.map.size; }
  get bytes(): number { return this.total; }
}

/** An indexed segment, or the one the recorder is writing now (not indexed until it is finished). */
export interface SegmentRef { seg: Segment; writing: boolean }

/** A segment with its file's layout and playback parts. */
export interface SegmentView extends SegmentRef { file: string; layout: FileLayout; parts: PartInfo[] }

export interface LayoutSource {
  index: Pick<SegmentStore, 'list'>;
  root: string;
  /** True while the camera's recorder is writing a file, which then may be served up to its last complete fragment. */
  recording(cameraId: string): boolean;
  log: Logger;
  now?: () => number;
  /** Layouts of finished segments kept in memory (default 2000: a day and a half of minute segments). */
  maxEntries?: number;
}

/** Seams shorter than this between segments are the recorder's frame-or-two slack, not a gap. */
const SEAM_MS = 1500;
/** Only ranges reaching this close to now can include the file being written. */
const WRITING_HORIZON_MS = 2 * 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Layouts of a camera's recorded segments for playback: from the segment index (finished files,
 * cached by path and size, which never change again) and the file the recorder is writing now
 * (read afresh each time, up to its last complete fragment).
 */
export class SegmentLayouts {
  private readonly cache: Lru<{ layout: FileLayout; parts: PartInfo[] }>;
  /** Files seen being written, so a player asking for one just after it was finished (and before it is indexed) is not refused. */
  private readonly wasWriting = new Lru<true>(64);

  constructor(private readonly src: LayoutSource) {
    this.cache = new Lru(src.maxEntries ?? 2000);
  }

  private now(): number { return this.src.now?.() ?? Date.now(); }

  /** Segments overlapping [fromMs, toMs), oldest first, the file being written last. */
  async segments(cameraId: string, fromMs: number, toMs: number): Promise<SegmentRef[]> {
    const listed = (await this.src.index.list(cameraId, iso(fromMs), iso(toMs)))
      .filter((s) => Date.parse(s.end) > fromMs && Date.parse(s.start) < toMs)
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const refs: SegmentRef[] = listed.map((seg) => ({ seg, writing: false }));
    if (toMs > this.now() - WRITING_HORIZON_MS) {
      const w = await this.writing(cameraId);
      if (w && Date.parse(w.seg.start) < toMs && !refs.some((r) => r.seg.path === w.seg.path)) refs.push(w);
    }
    return refs;
  }

  /** The file the recorder is writing now: the newest segment file of the camera not in the index. */
  async writing(cameraId: string): Promise<SegmentRef | undefined> {
    if (!this.src.recording(cameraId)) return undefined;
    const now = this.now();
    const recent = await this.src.index.list(cameraId, iso(now - WRITING_HORIZON_MS), END_OF_TIME_ISO);
    const indexed = new Set(recent.map((s) => s.path));
    const last = recent.reduce<Segment | undefined>((m, s) => (!m || s.start > m.start ? s : m), undefined);
    const days = [...new Set([dayOf(now - 86_400_000), dayOf(now), dayOf(now + 86_400_000)])];
    const names = (await Promise.all(days.map((d) => readdir(join(this.src.root, cameraId, d)).catch(() => [] as string[])))).flat();
    const newest = names
      .map((name) => ({ name, t: segmentNameTime(name), rel: segmentRelPath(cameraId, name) }))
      .filter((c): c is { name: string; t: number; rel: string } => c.t !== undefined && c.rel !== undefined && !indexed.has(c.rel))
      .filter((c) => !last || c.t >= Math.floor(Date.parse(last.start) / 1000) * 1000)
      .sort((a, b) => b.t - a.t)[0];
    if (!newest) return undefined;
    const info = await stat(segmentFile(this.src.root, { path: newest.rel })).catch(() => undefined);
    if (!info?.isFile() || info.size === 0) return undefined;
    // The name has whole seconds; the recorder starts a segment where the previous one ended.
    const prevEnd = last ? Date.parse(last.end) : undefined;
    const startMs = prevEnd !== undefined && Math.abs(newest.t - prevEnd) <= 2000 ? prevEnd : newest.t;
    this.wasWriting.set(newest.rel, true);
    return { seg: { cameraId, path: newest.rel, bytes: info.size, start: iso(startMs), end: iso(startMs) }, writing: true };
  }

  /** The file's layout and parts; undefined when the file is gone (retention, a crash) or unreadable. */
  async view(ref: SegmentRef): Promise<SegmentView | undefined> {
    const file = segmentFile(this.src.root, ref.seg);
    const startMs = Date.parse(ref.seg.start);
    try {
      if (ref.writing) {
        const layout = await readFileLayout(file);
        return { ...ref, file, layout, parts: partsOf(layout, startMs) };
      }
      const info = await stat(file);
      const key = `${ref.seg.path}|${info.size}|${ref.seg.start}`;
      let hit = this.cache.get(key);
      if (!hit) {
        const layout = await readFileLayout(file);
        hit = { layout, parts: partsOf(layout, startMs) };
        this.cache.set(key, hit);
      }
      return { ...ref, file, ...hit };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.src.log.warn({ err, path: ref.seg.path }, 'cannot read the layout of a segment');
      return undefined;
    }
  }

  /** The wire layouts of the segments overlapping [fromMs, toMs). */
  async layouts(cameraId: string, fromMs: number, toMs: number): Promise<SegmentLayout[]> {
    const refs = await this.segments(cameraId, fromMs, toMs);
    const views: (SegmentView | undefined)[] = [];
    // A few files at a time: each is a handful of small reads.
    for (let i = 0; i < refs.length; i += 8) views.push(...(await Promise.all(refs.slice(i, i + 8).map((r) => this.view(r)))));
    return views.filter((v): v is SegmentView => v !== undefined && v.parts.length > 0).map(wireLayout);
  }

  /**
   * The segment at `path` if the index lists it for this camera or the recorder is (or was just)
   * writing it; anything else is refused, whatever the path says.
   */
  async resolve(cameraId: string, path: string): Promise<SegmentRef | undefined> {
    const name = basename(path);
    const t = segmentNameTime(name);
    if (t === undefined || segmentRelPath(cameraId, name) !== path) return undefined;
    // A segment starts within seconds of the time in its name; a generous window costs nothing.
    const near = await this.src.index.list(cameraId, iso(t - 600_000), iso(t + 600_000));
    const seg = near.find((s) => s.path === path);
    if (seg) return { seg, writing: false };
    const w = await this.writing(cameraId);
    if (w?.seg.path === path) return w;
    if (this.wasWriting.get(path)) return { seg: { cameraId, path, bytes: 0, start: iso(t), end: iso(t) }, writing: true };
    return undefined;
  }

  /** The part holding the keyframe at or before `atMs`, or undefined when nothing is recorded then. */
  async partAt(cameraId: string, atMs: number): Promise<{ view: SegmentView; part: PartInfo } | undefined> {
    const refs = await this.segments(cameraId, atMs - SEAM_MS, atMs + 1);
    for (const ref of refs.filter((r) => Date.parse(r.seg.start) <= atMs + SEAM_MS).reverse()) {
      const view = await this.view(ref);
      const parts = view?.parts ?? [];
      const last = parts[parts.length - 1];
      if (!view || !last || last.startMs + last.durationS * 1000 + SEAM_MS < atMs) continue;
      const part = parts.filter((p) => p.startMs <= atMs).pop() ?? (parts[0]!.startMs - atMs <= SEAM_MS ? parts[0] : undefined);
      if (part) return { view, part };
    }
    return undefined;
  }
}

/** What the hub gets: no internal fields, times as ISO. */
export function wireLayout(v: SegmentView): SegmentLayout {
  const { seg, layout, parts } = v;
  const last = parts[parts.length - 1];
  const end = v.writing && last ? iso(Math.round(last.startMs + last.durationS * 1000)) : seg.end;
  return {
    path: seg.path, start: seg.start, end, bytes: v.writing ? layout.completeBytes : layout.fileBytes,
    init: layout.init, codec: layout.track.codec, width: layout.track.width, height: layout.track.height,
    parts: parts.map((p) => ({ offset: p.offset, length: p.length, start: p.start, durationS: p.durationS })),
  };
}
