import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file so commands work from any directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const consoleDir = resolve(repoRoot, 'web', 'dist');
