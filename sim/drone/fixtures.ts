import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Real flight logs from the repository's own copy of the third-party fixtures (test/fixtures,
// provenance in its README); the demo and the tests replay them.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const MAVLINK_FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'mavlink');
export const DEFAULT_TLOG = path.join(MAVLINK_FIXTURES, 'arduplane-vtol-sitl.tlog');
