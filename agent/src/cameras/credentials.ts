// Camera passwords at rest: AES-256-GCM under a key kept outside the LevelDB, so a copy of the
// database alone (a backup, a support bundle) does not give away the cameras' passwords.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const KEY_BYTES = 32;
export const CREDENTIALS_KEY_ENV = 'SARGS_CREDENTIALS_KEY';
/** Where the agent keeps the key unless configured otherwise: a file beside the database, not in it. */
export const DEFAULT_KEY_FILE_NAME = 'credentials.key';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

export class CredentialsKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsKeyError';
  }
}

export class DecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptError';
  }
}

/** `v1:<iv b64>:<tag b64>:<ciphertext b64>`. */
export function encryptSecret(plaintext: string, key: Buffer): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
}

export function decryptSecret(encoded: string, key: Buffer): string {
  checkKey(key);
  const parts = encoded.split(':');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptError('the stored secret is not in the v1:<iv>:<tag>:<ciphertext> format');
  const [iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64')) as [Buffer, Buffer, Buffer];
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptError('the stored secret has a damaged IV or tag');
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // GCM cannot tell a wrong key from tampering; the wrong key is by far the likelier.
    throw new DecryptError('the stored secret cannot be decrypted: the credentials key is not the one it was encrypted with, or the secret was altered');
  }
}

/** 32 raw bytes, or the same as base64 or hex text (surrounding whitespace ignored). */
export function parseKey(data: Buffer | string, source: string): Buffer {
  if (Buffer.isBuffer(data) && data.length === KEY_BYTES) return Buffer.from(data);
  const text = data.toString('utf8').trim();
  if (/^[\da-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z\d+/_-]{43}=?$/.test(text)) {
    const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new CredentialsKeyError(`${source} does not hold a ${KEY_BYTES}-byte key (raw, base64 or hex)`);
}

export interface KeySource {
  /** The key file; created (mode 0600) if missing and `create` is set. */
  file?: string;
  create?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * The environment variable wins when set (a secret manager or systemd credential put it there);
 * otherwise the key file.
 */
export async function loadCredentialsKey(source: KeySource): Promise<Buffer> {
  const fromEnv = (source.env ?? process.env)[CREDENTIALS_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseKey(fromEnv, `the ${CREDENTIALS_KEY_ENV} environment variable`);
  if (!source.file) throw new CredentialsKeyError(`no credentials key: set ${CREDENTIALS_KEY_ENV} or configure a key file`);
  if (source.create) return (await ensureKeyFile(source.file)).key;
  return readKeyFile(source.file);
}

/** Reads the key file, or creates one with a fresh random key; never overwrites an existing file. */
export async function ensureKeyFile(path: string): Promise<{ key: Buffer; created: boolean }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  let handle;
  try {
    // 'wx' fails if the file exists, so two agents starting at once cannot both write a key.
    handle = await open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { key: await readKeyFile(path), created: false };
    throw new CredentialsKeyError(`cannot create the credentials key file ${path}: ${(err as Error).message}`);
  }
  try {
    await handle.writeFile(`${key.toString('base64')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { key, created: true };
}

async function readKeyFile(path: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new CredentialsKeyError(`cannot read the credentials key file ${path}: ${(err as Error).message}`);
  }
  return parseKey(data, `the credentials key file ${path}`);
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new CredentialsKeyError(`a credentials key must be ${KEY_BYTES} bytes, not ${key.length}`);
}
