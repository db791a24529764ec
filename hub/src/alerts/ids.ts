import { randomBytes } from 'node:crypto';

let seq = 0;

/** Ids that sort by creation time in LevelDB's byte order, so "newest first" is a reverse scan. */
export function timeOrderedId(prefix: string, nowMs: number): string {
  seq = (seq + 1) % 36 ** 3;
  return `${prefix}${nowMs.toString(36).padStart(9, '0')}${seq.toString(36).padStart(3, '0')}${randomBytes(3).toString('hex')}`;
}
