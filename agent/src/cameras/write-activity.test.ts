import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WriteActivityMonitor } from './write-activity';

describe('write activity monitor', () => {
  it('reports a process that writes, stays quiet while it does not, and forgets it when it exits', async () => {
    expect(WriteActivityMonitor.supported).toBe(true);
    // cat copies what it is fed to /dev/null: it writes exactly when the test feeds it.
    const cat = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
    await once(cat, 'spawn');
    let now = 1000;
    const seen: number[] = [];
    // An hour between looks: the test looks by hand.
    const monitor = new WriteActivityMonitor(3_600_000, { now: () => now });
    monitor.watch(cat.pid!, (at) => seen.push(at));
    expect(monitor.size).toBe(1);
    monitor.look();
    expect(seen).toEqual([]);

    cat.stdin.write('a fragment\n');
    now = 2000;
    await expect.poll(() => { monitor.look(); return seen; }).toEqual([2000]);
    monitor.look();
    monitor.look();
    expect(seen).toEqual([2000]);

    cat.stdin.end();
    await once(cat, 'exit');
    monitor.look();
    expect(monitor.size).toBe(0);
  });

  it('does not watch a process it cannot read', () => {
    const monitor = new WriteActivityMonitor();
    const stop = monitor.watch(2 ** 22 + 12345, () => undefined);
    expect(monitor.size).toBe(0);
    stop();
  });
});
