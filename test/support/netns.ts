import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { run, type ProcessResult } from '@sargs/sim/camera/test-helpers';
import { repoRoot } from './paths';

export const isRoot = process.getuid?.() === 0;
const TSX = join(repoRoot, 'node_modules', '.bin', 'tsx');

async function ip(...args: string[]): Promise<void> {
  const res = await run('ip', args);
  if (res.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${res.stderr.trim()}`);
}

/**
 * A throw-away network namespace with only loopback, multicast routed to it, for
 * WS-Discovery tests: probes sent inside it cannot reach any real network.
 */
export class TestNamespace {
  private constructor(readonly name: string) {}

  static async create(prefix: string): Promise<TestNamespace> {
    const name = `sargs-${prefix}-${randomBytes(4).toString('hex')}`;
    await ip('netns', 'add', name);
    const ns = new TestNamespace(name);
    try {
      await ip('-n', name, 'link', 'set', 'lo', 'up', 'multicast', 'on');
      await ip('-n', name, 'route', 'add', '239.0.0.0/8', 'dev', 'lo');
    } catch (err) {
      await ns.remove();
      throw err;
    }
    return ns;
  }

  /** Runs a TypeScript script inside the namespace; it must exit by itself. */
  runScript(script: string, timeoutMs = 45_000): Promise<ProcessResult> {
    return run('ip', ['netns', 'exec', this.name, TSX, script], timeoutMs);
  }

  remove(): Promise<void> {
    return ip('netns', 'del', this.name);
  }
}
