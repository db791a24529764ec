import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';

export interface SnapshotSource {
  /** ONVIF GetSnapshotUri, when the camera has one. */
  snapshotUri?: string;
  rtspUrl: string;
  username?: string;
  password?: string;
}

export interface SnapshotOptions {
  /** Per HTTP request (default 3 s): a camera that is slow to answer has the RTSP path after it. */
  httpTimeoutMs?: number;
  /** For the whole RTSP grab (default 10 s). */
  rtspTimeoutMs?: number;
  ffmpegPath?: string;
  log?: Logger;
}

const MAX_JPEG_BYTES = 16 * 1024 * 1024;

export class SnapshotError extends Error {}

/**
 * One JPEG from a camera: the ONVIF snapshot URI if it gives a JPEG (many cameras want HTTP
 * digest auth there), else one frame of the RTSP stream transcoded by ffmpeg.
 */
export async function snapshot(src: SnapshotSource, opts: SnapshotOptions = {}): Promise<Buffer> {
  let httpError: string | undefined;
  if (src.snapshotUri) {
    try {
      return await httpSnapshot(src.snapshotUri, src, opts.httpTimeoutMs ?? 3000);
    } catch (err) {
      httpError = errorText(err);
      opts.log?.debug({ err: httpError }, 'snapshot URI failed; grabbing a frame over RTSP');
    }
  }
  try {
    return await rtspSnapshot(src, opts);
  } catch (err) {
    throw new SnapshotError(httpError ? `snapshot URI: ${httpError}; RTSP: ${errorText(err)}` : `RTSP: ${errorText(err)}`);
  }
}

async function httpSnapshot(uri: string, cred: SnapshotSource, timeoutMs: number): Promise<Buffer> {
  // Some cameras hand out snapshot URIs with credentials in them, which fetch refuses.
  const url = new URL(uri);
  if (url.username && cred.username === undefined) cred = { ...cred, username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  url.username = '';
  url.password = '';
  const get = (authorization?: string): Promise<Response> => fetch(url, {
    headers: authorization ? { authorization } : {},
    signal: AbortSignal.timeout(timeoutMs),
  });
  let res = await get();
  if (res.status === 401 && cred.username !== undefined) {
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.body?.cancel();
    res = await get(authorize(challenge, url, cred.username, cred.password ?? ''));
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new SnapshotError(`HTTP ${res.status}`);
  }
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_JPEG_BYTES) {
    await res.body?.cancel();
    throw new SnapshotError(`snapshot of ${length} bytes is too large`);
  }
  const body = Buffer.from(await res.arrayBuffer());
  if (!isJpeg(body)) throw new SnapshotError(`not a JPEG (${res.headers.get('content-type') ?? 'no content type'}, ${body.length} bytes)`);
  return body;
}

/** An Authorization header answering the camera's challenge: Digest (RFC 7616) where offered, else Basic. */
export function authorize(challenge: string, url: URL, username: string, password: string, cnonce = randomBytes(8).toString('hex')): string {
  const at = challenge.search(/\bDigest\s/i);
  if (at < 0) return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const p = new Map<string, string>();
  for (const m of challenge.slice(at + 7).matchAll(/([\w-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    const key = (m[1] ?? '').toLowerCase();
    if (!p.has(key)) p.set(key, (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1')); // first wins: a Basic realm may follow
  }
  const algorithm = p.get('algorithm') ?? 'MD5';
  const hashName = /^SHA-256/i.test(algorithm) ? 'sha256' : 'md5';
  const h = (s: string): string => createHash(hashName).update(s).digest('hex');
  const realm = p.get('realm') ?? '';
  const nonce = p.get('nonce') ?? '';
  const uri = url.pathname + url.search;
  const nc = '00000001';
  let ha1 = h(`${username}:${realm}:${password}`);
  if (/-sess$/i.test(algorithm)) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = h(`GET:${uri}`);
  const qop = (p.get('qop') ?? '').split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const response = qop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
  const q = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  const parts = [`username=${q(username)}`, `realm=${q(realm)}`, `nonce=${q(nonce)}`, `uri=${q(uri)}`, `algorithm=${algorithm}`, `response=${q(response)}`];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${q(cnonce)}`);
  const opaque = p.get('opaque');
  if (opaque !== undefined) parts.push(`opaque=${q(opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

function rtspSnapshot(src: SnapshotSource, opts: SnapshotOptions): Promise<Buffer> {
  const url = new URL(src.rtspUrl);
  if (src.username && !url.username) {
    url.username = src.username;
    url.password = src.password ?? '';
  }
  const timeoutMs = opts.rtspTimeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(opts.ffmpegPath ?? '/usr/bin/ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-timeout', String(timeoutMs * 1000),
      '-i', url.toString(), '-frames:v', '1', '-an', '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_JPEG_BYTES) child.kill('SIGKILL');
      else chunks.push(d);
    });
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 2048) stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(chunks);
      if (code === 0 && isJpeg(jpeg)) resolve(jpeg);
      else reject(new SnapshotError(`ffmpeg ${sig ? `killed (${sig === 'SIGKILL' && size <= MAX_JPEG_BYTES ? 'timed out' : sig})` : `exited ${code}`}: ${redact(stderr.trim()) || 'no JPEG'}`));
    });
  });
}

function isJpeg(b: Buffer): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** ffmpeg repeats the URL in its errors; the password must not reach logs or the hub. */
function redact(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1***@');
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'timed out';
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${err.message} (${code})` : err.message;
}
