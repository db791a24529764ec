import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The fixtures live beside the repository (../shared/fixtures), not in it: they are
// third-party data shared by several checkouts and never shipped.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const MAVLINK_FIXTURES = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'mavlink');
export const DEFAULT_TLOG = path.join(MAVLINK_FIXTURES, 'arduplane-vtol-sitl.tlog');
