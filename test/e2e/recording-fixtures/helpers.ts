// Shared by the recording tests: waiting on recorder events, and checking disk against the index.
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Level } from 'level';
import pino, { type Logger } from 'pino';
import type { Recorder, RecorderStateEvent } from '@sargs/agent/cameras/recorder';
import { probeDuration } from '@sargs/agent/cameras/media-probe';
import { SegmentIndex } from '@sargs/agent/cameras/segment-index';
import type { Segment } from '@sargs/agent/cameras/types';

export const FFMPEG = '/usr/bin/ffmpeg';
export const FFPROBE = '/usr/bin/ffprobe';
/** Short restarts, so fault tests do not sit through production backoff. */
export const FAST_TUNING = { ffmpegPath: FFMPEG, backoffMs: [200, 500, 1000], stopGraceMs: 5000 };

export function quietLog(): Logger {
  return pino({ level: process.env.SARGS_DEBUG ? 'debug' : 'silent' });
}

export async function openIndex(dir: string): Promise<{ db: Level<string, unknown>; index: SegmentIndex }> {
  const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
  await db.open();
  return { db, index: new SegmentIndex(db) };
}

/** The next `state` event matching `pred`; rejects after `timeoutMs`. */
export function nextState(rec: Recorder, pred: (e: RecorderStateEvent) => boolean, timeoutMs: number, what: string): Promise<RecorderStateEvent> {
  return nextEvent(rec, 'state', pred, timeoutMs, what);
}

export function nextSegment(rec: Recorder, pred: (s: Segment) => boolean, timeoutMs: number, what: string): Promise<Segment> {
  return nextEvent(rec, 'segment', pred, timeoutMs, what);
}

function nextEvent<T>(rec: Recorder, name: 'state' | 'segment', pred: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (v: T) => { if (pred(v)) { cleanup(); resolve(v); } };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (state ${rec.state})`)); }, timeoutMs);
    const cleanup = () => { clearTimeout(timer); rec.off(name, on as never); };
    rec.on(name, on as never);
  });
}

/** Every .mp4 under `dir`, relative to `root`, '/'-separated. */
export async function mp4Files(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.mp4')).map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/')).sort();
}

/**
 * After reconcile: every index entry has its file and plays, and every file outside the
 * quarantine is indexed. Returns the quarantined files.
 */
export async function assertDiskMatchesIndex(root: string, index: SegmentIndex, cameraId: string): Promise<{ segments: Segment[]; quarantined: string[] }> {
  const segments = await index.all(cameraId);
  const files = await mp4Files(root, join(root, cameraId));
  const indexed = segments.map((s) => s.path).sort();
  if (JSON.stringify(indexed) !== JSON.stringify(files)) throw new Error(`index and disk disagree:\nindex ${indexed.join(' ')}\ndisk  ${files.join(' ')}`);
  for (const s of segments) {
    const p = await probeDuration(join(root, s.path), { ffprobePath: FFPROBE });
    if (!p.ok) throw new Error(`${s.path} does not play: ${p.error}`);
  }
  return { segments, quarantined: await mp4Files(root, join(root, '.quarantine')) };
}

export const durationMs = (s: Pick<Segment, 'start' | 'end'>) => Date.parse(s.end) - Date.parse(s.start);
