import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CREDENTIALS_KEY_ENV, CredentialsKeyError, DecryptError, decryptSecret, encryptSecret, ensureKeyFile, loadCredentialsKey, parseKey,
} from './credentials';

describe('camera credentials at rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sargs-creds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = randomBytes(32);

  it('round-trips through v1:<iv>:<tag>:<ciphertext> with a fresh IV each time', () => {
    const a = encryptSecret('correct horse ✓', key);
    const b = encryptSecret('correct horse ✓', key);
    expect(a).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    const [, iv, tag] = a.split(':');
    expect(Buffer.from(iv!, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64')).toHaveLength(16);
    expect(a).not.toBe(b);
    expect(a).not.toContain('horse');
    expect(decryptSecret(a, key)).toBe('correct horse ✓');
    expect(decryptSecret(encryptSecret('', key), key)).toBe('');
  });

  it('a wrong key or an altered secret is a clear DecryptError', () => {
    const enc = encryptSecret('pw', key);
    expect(() => decryptSecret(enc, randomBytes(32))).toThrow(DecryptError);
    expect(() => decryptSecret(enc, randomBytes(32))).toThrow(/credentials key is not the one it was encrypted with/);
    const parts = enc.split(':');
    const flipped = Buffer.from(parts[3]!, 'base64');
    flipped[0]! ^= 1;
    expect(() => decryptSecret([...parts.slice(0, 3), flipped.toString('base64')].join(':'), key)).toThrow(DecryptError);
    expect(() => decryptSecret('pw', key)).toThrow(/not in the v1/);
    expect(() => decryptSecret('v1:AAAA:AAAA:AAAA', key)).toThrow(/damaged IV or tag/);
    expect(() => encryptSecret('pw', randomBytes(16))).toThrow(CredentialsKeyError);
  });

  it('reads a key as 32 raw bytes, base64 or hex text', () => {
    expect(parseKey(key, 'k').equals(key)).toBe(true);
    expect(parseKey(`${key.toString('base64')}\n`, 'k').equals(key)).toBe(true);
    expect(parseKey(key.toString('base64url'), 'k').equals(key)).toBe(true);
    expect(parseKey(`  ${key.toString('hex')}  `, 'k').equals(key)).toBe(true);
    expect(() => parseKey('too short', 'the test key')).toThrow(/the test key does not hold a 32-byte key/);
    expect(() => parseKey(randomBytes(16).toString('base64'), 'k')).toThrow(CredentialsKeyError);
  });

  it('creates a key file with mode 0600 once, and reads it back afterwards', async () => {
    const file = join(dir, 'nested', 'credentials.key');
    const first = await ensureKeyFile(file);
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await ensureKeyFile(file);
    expect(again.created).toBe(false);
    expect(again.key.equals(first.key)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.key.toString('base64'));
  });

  it('takes the key from the environment first, then the file; names what is wrong', async () => {
    const file = join(dir, 'raw.key');
    writeFileSync(file, key, { mode: 0o600 });
    expect((await loadCredentialsKey({ file, env: {} })).equals(key)).toBe(true);
    const other = randomBytes(32);
    expect((await loadCredentialsKey({ file, env: { [CREDENTIALS_KEY_ENV]: other.toString('hex') } })).equals(other)).toBe(true);
    await expect(loadCredentialsKey({ file, env: { [CREDENTIALS_KEY_ENV]: 'nope' } })).rejects.toThrow(/SARGS_CREDENTIALS_KEY environment variable does not hold/);
    await expect(loadCredentialsKey({ file: join(dir, 'missing.key'), env: {} })).rejects.toThrow(/cannot read the credentials key file .*missing\.key/);
    await expect(loadCredentialsKey({ env: {} })).rejects.toThrow(/no credentials key/);
    const created = await loadCredentialsKey({ file: join(dir, 'made.key'), create: true, env: {} });
    expect(created).toHaveLength(32);
  });
});
