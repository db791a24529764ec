// The simulated cameras' password: made once per data folder and kept there, readable by its
// owner only, so a restart needs no change at the agent (which stores it encrypted) and the
// password is never printed.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CAMERA_USER = 'sargs';

export function demoCameraPassword(data: string): { password: string; file: string } {
  const file = join(data, 'camera-password');
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (kept) {
    chmodSync(file, 0o600);
    return { password: kept, file };
  }
  const password = randomBytes(12).toString('base64url');
  writeFileSync(file, password + '\n', { mode: 0o600 });
  // The mode given to writeFileSync applies only to a file it creates, and the umask may narrow it.
  chmodSync(file, 0o600);
  return { password, file };
}
