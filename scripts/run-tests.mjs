// Runs vitest once and ends with one plain line "N passed, N failed" taken from
// vitest's JSON report, so CI logs show the count whatever the reporter prints above it.
// The run gets its own temporary folder (TMPDIR for every test and process it starts), removed
// at the end, so a test process that is stopped before it can tidy up leaves nothing behind.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'sargs-test-run-'));
const report = join(dir, 'vitest.json');
const run = spawnSync('pnpm', ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TMPDIR: dir },
});
let passed = 0, failed = 0, skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests; failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped = r.numPendingTests + r.numTodoTests;
} catch {
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
