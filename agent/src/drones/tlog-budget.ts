import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseTlogName, PART_SUFFIX, type TlogName } from './tlog-file';

export interface ClosedTlog {
  path: string;
  name: TlogName;
  bytes: number;
  /** When it was closed (its mtime): rotation removes the oldest first. */
  closedMs: number;
}

/**
 * The tlog folder's finished files and its disk budget. Rotation deletes the oldest closed
 * files first and never a flight the hub has not yet acknowledged (`isPending`); open files
 * count against the budget but are never touched.
 */
export class TlogBudget {
  private readonly files = new Map<string, ClosedTlog>();
  private overReported = false;

  constructor(private readonly dir: string, private readonly log: Logger) {}

  get closedBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.bytes;
    return n;
  }

  list(): ClosedTlog[] {
    return [...this.files.values()];
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  add(file: ClosedTlog): void {
    this.files.set(file.path, file);
  }

  /**
   * Reads the folder at start-up. A `.part` file was open when the agent stopped without
   * closing it (a crash, power loss): it is synced and renamed, so a flight cut short by a
   * crash is still kept and sent. Files that are not ours are left alone.
   */
  async scan(): Promise<ClosedTlog[]> {
    for (const entry of await readdir(this.dir)) {
      const part = entry.endsWith(PART_SUFFIX);
      const file = part ? entry.slice(0, -PART_SUFFIX.length) : entry;
      const name = parseTlogName(file);
      if (!name) continue;
      const path = join(this.dir, file);
      try {
        if (part) await this.recover(join(this.dir, entry), path);
        const st = await stat(path);
        this.add({ path, name, bytes: st.size, closedMs: st.mtimeMs });
      } catch (err) {
        this.log.error({ err, file: entry }, 'could not read a tlog at start-up');
      }
    }
    return this.list();
  }

  /** Deletes the oldest deletable files until `openBytes` plus what is kept fits in `budgetBytes`. */
  async enforce(budgetBytes: number, openBytes: number, isPending: (flightId: string) => boolean): Promise<ClosedTlog[]> {
    let total = this.closedBytes + openBytes;
    const deleted: ClosedTlog[] = [];
    if (total <= budgetBytes) {
      this.overReported = false;
      return deleted;
    }
    const oldestFirst = this.list().sort((a, b) => a.closedMs - b.closedMs);
    for (const f of oldestFirst) {
      if (total <= budgetBytes) break;
      if (f.name.flightId !== undefined && isPending(f.name.flightId)) continue;
      try {
        await unlink(f.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.log.error({ err, path: f.path }, 'could not delete an old tlog');
          continue;
        }
      }
      this.files.delete(f.path);
      total -= f.bytes;
      deleted.push(f);
    }
    if (deleted.length) this.log.info({ deleted: deleted.length, keptBytes: total, budgetBytes }, 'tlog rotation deleted old logs');
    if (total > budgetBytes && !this.overReported) {
      this.overReported = true;
      this.log.warn({ keptBytes: total, budgetBytes }, 'tlogs exceed their disk budget: what is left is open or not yet received by the hub');
    }
    return deleted;
  }

  private async recover(partPath: string, path: string): Promise<void> {
    const fh = await open(partPath, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(partPath, path);
    this.log.warn({ path }, 'recovered a tlog left open by an unclean stop');
  }
}
