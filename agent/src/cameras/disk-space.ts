import { statfs } from 'node:fs/promises';

export interface DiskUsage {
  totalBytes: number;
  /** Space a non-root writer can still use: the recorder must not count on blocks reserved for root. */
  freeBytes: number;
}

/** Free space of the filesystem holding a path; injected so retention is testable without a full disk. */
export interface DiskSpace {
  usage(path: string): Promise<DiskUsage>;
}

export const nodeDiskSpace: DiskSpace = {
  async usage(path) {
    const s = await statfs(path);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  },
};
