import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const tsxBin = join(repoRoot, 'node_modules', '.bin', 'tsx');
export const cliMain = join(repoRoot, 'cli', 'src', 'main.ts');
export const consoleDir = join(repoRoot, 'web', 'dist');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `sargs-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
