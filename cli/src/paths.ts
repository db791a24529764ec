import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, found by walking up from this file to the workspace file, so it is
 * right both from cli/src (tsx) and from cli/dist/chunks (the production bundle).
 */
function findRepoRoot(from: string): string {
  for (let dir = from, i = 0; i < 10; dir = dirname(dir), i++) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
  }
  return resolve(from, '..', '..');
}

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const consoleDir = resolve(repoRoot, 'web', 'dist');
