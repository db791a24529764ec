// The import rules that `npm test` checks with dependency-cruiser (.dependency-cruiser.cjs) hold
// for the repository, and each rule really fires: a small tree with one planted offence per rule
// must be refused with that rule's name.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../support/paths';

const depcruise = join(repoRoot, 'node_modules', '.bin', 'depcruise');
const config = join(repoRoot, '.dependency-cruiser.cjs');

function cruise(cwd: string, folders: string[]): { status: number | null; out: string } {
  const r = spawnSync(depcruise, ['--config', config, '--output-type', 'err', ...folders], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('import rules', () => {
  const dir = tempDir('architecture');
  afterAll(() => dir.remove());

  it('the repository keeps them', () => {
    const r = cruise(repoRoot, ['agent', 'hub', 'shared', 'web', 'cli', 'sim', 'test']);
    expect(r.out).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  it('refuses an import cycle, production importing test code or simulators, agent and hub importing each other', () => {
    const files: Record<string, string> = {
      'agent/src/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'agent/src/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      'agent/src/uses-helper.ts': "import { helper } from '../../test/support/helper';\nexport const x = helper;\n",
      'hub/src/uses-sim.ts': "import { sim } from '../../sim/camera/sim';\nexport const y = sim;\n",
      'hub/src/uses-agent.ts': "import { a } from '../../agent/src/a';\nexport const z = a;\n",
      'agent/src/uses-hub.ts': "import { y } from '../../hub/src/uses-sim';\nexport const w = y;\n",
      // A test file may use helpers and simulators: not an offence.
      'agent/src/a.test.ts': "import { helper } from '../../test/support/helper';\nexport const t = helper;\n",
      'test/support/helper.ts': 'export const helper = 1;\n',
      'sim/camera/sim.ts': 'export const sim = 1;\n',
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir.path, name)), { recursive: true });
      writeFileSync(join(dir.path, name), text);
    }
    const r = cruise(dir.path, ['agent', 'hub', 'test', 'sim']);
    expect(r.status).not.toBe(0);
    const errors = r.out.split('\n').filter((l) => l.includes('error '));
    expect(errors.some((l) => l.includes('no-cycle') && l.includes('agent/src/a.ts'))).toBe(true);
    expect(errors.some((l) => l.includes('production-imports-no-test-code') && l.includes('agent/src/uses-helper.ts → test/support/helper.ts'))).toBe(true);
    expect(errors.some((l) => l.includes('production-imports-no-test-code') && l.includes('hub/src/uses-sim.ts → sim/camera/sim.ts'))).toBe(true);
    expect(errors.some((l) => l.includes('hub-and-agent-meet-only-in-shared') && l.includes('hub/src/uses-agent.ts'))).toBe(true);
    expect(errors.some((l) => l.includes('agent-and-hub-meet-only-in-shared') && l.includes('agent/src/uses-hub.ts'))).toBe(true);
    expect(errors.some((l) => l.includes('a.test.ts'))).toBe(false);
  });
});
