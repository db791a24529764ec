import { join } from 'node:path';

/**
 * Where segments live: `<root>/<cameraId>/<YYYY-MM-DD>/<YYYYMMDDTHHMMSS>Z.mp4`, UTC.
 * ffmpeg names the files itself (strftime at segment open), so the same layout is written
 * twice: as an ffmpeg pattern here and as the parser reconcile uses to read it back.
 */
export const SEGMENT_NAME_PATTERN = '%Y%m%dT%H%M%SZ.mp4';
export const DAY_DIR_PATTERN = '%Y-%m-%d';
/** Unplayable files go here instead of being deleted: they may still hold evidence. */
export const QUARANTINE_DIR = '.quarantine';

const NAME_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.mp4$/;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
// Ids become directory names and index key prefixes ('!' separates the key's parts).
const CAMERA_ID_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

export function assertCameraId(id: string): void {
  if (!CAMERA_ID_RE.test(id)) throw new Error(`camera id ${JSON.stringify(id)} cannot name a recordings folder`);
}

export function isCameraId(id: string): boolean {
  return CAMERA_ID_RE.test(id);
}

export function isDayDir(name: string): boolean {
  return DAY_RE.test(name);
}

export function segmentPattern(root: string, cameraId: string): string {
  return join(root, cameraId, DAY_DIR_PATTERN, SEGMENT_NAME_PATTERN);
}

/** The wall-clock second ffmpeg opened the file, from its name; undefined if not a segment name. */
export function segmentNameTime(name: string): number | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Index path (relative to the root, '/'-separated) of a segment file name. */
export function segmentRelPath(cameraId: string, name: string): string | undefined {
  const t = segmentNameTime(name);
  return t === undefined ? undefined : `${cameraId}/${dayOf(t)}/${name}`;
}

export function dayDirPath(root: string, cameraId: string, ms: number): string {
  return join(root, cameraId, dayOf(ms));
}
