// Reading CPU time and memory of other processes from /proc, for the benchmarks (Linux only).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export interface ProcStat { pid: number; ppid: number; comm: string; cpuS: number }

/** utime + stime of the process itself (all its threads, not its children), in seconds; undefined once it is gone. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const comm = text.slice(open + 1, close);
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { pid, ppid: Number(f[1]), comm, cpuS: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND };
}

/** VmRSS and VmHWM (peak RSS) in MB. */
export function procMemory(pid: number): { rssMb: number; peakMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Live processes whose parent is `ppid` and whose command name is `comm`. */
export function childrenNamed(ppid: number, comm: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s && s.ppid === ppid && s.comm === comm) pids.push(s.pid);
  }
  return pids;
}

/** Whole-machine CPU counters from /proc/stat, in seconds summed over all cores. */
export function machineCpu(): { busyS: number; totalS: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busyS: (total - idle) / TICKS_PER_SECOND, totalS: total / TICKS_PER_SECOND };
}

/**
 * CPU seconds of a changing set of processes over a window: sampled every second. A pid
 * present at the first sample counts from then; one first seen later started inside the
 * window and counts from zero. A process that dies loses at most its last second; `seen`
 * shows restarts.
 */
export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();

  constructor(private readonly pids: () => number[]) {
    this.sample(true);
  }

  sample(initial = false): void {
    for (const pid of this.pids()) {
      const s = procStat(pid);
      if (!s) continue;
      if (!this.first.has(pid)) this.first.set(pid, initial ? s.cpuS : 0);
      this.last.set(pid, s.cpuS);
    }
  }

  get cpuS(): number {
    let sum = 0;
    for (const [pid, end] of this.last) sum += end - (this.first.get(pid) ?? end);
    return sum;
  }

  get seen(): number { return this.last.size; }
}

export function machineLine(): string {
  const c = cpus();
  const ffmpeg = execFileSync('ffmpeg', ['-version']).toString().split('\n')[0]?.replace(/ Copyright.*/, '') ?? 'ffmpeg ?';
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${ffmpeg}`;
}

/** Sum of the sizes of all regular files under `dir`. */
export function treeBytes(dir: string): number {
  let sum = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    try {
      sum += statSync(`${e.parentPath}/${e.name}`).size;
    } catch { /* deleted meanwhile */ }
  }
  return sum;
}
