// Snapshots from the simulated camera: its ONVIF snapshot URI, one RTSP frame, and a digest-protected URI.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorize, snapshot, SnapshotError } from '@sargs/agent/cameras/snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCamera } from '@sargs/sim/camera/index';
import { ensureMediaFiles } from '@sargs/sim/camera/media-files';
import { run } from '@sargs/sim/camera/test-helpers';

const isJpeg = (b: Buffer) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** A camera-like HTTP server that wants RFC 7616 digest auth (MD5, qop=auth) for its snapshot. */
function digestServer(jpeg: Buffer, user: string, pass: string): Promise<{ server: Server; url: string; attempts: string[] }> {
  const realm = 'IP Camera';
  const nonce = 'b64nonce0123';
  const attempts: string[] = [];
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    attempts.push(auth.split(' ')[0] ?? '');
    const f = Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]));
    const ok = auth.startsWith('Digest ') && f.username === user && f.nonce === nonce && f.uri === req.url &&
      f.response === md5(`${md5(`${user}:${realm}:${pass}`)}:${nonce}:${f.nc}:${f.cnonce}:${f.qop}:${md5(`GET:${req.url}`)}`);
    if (!ok) {
      res.writeHead(401, { 'WWW-Authenticate': `Digest realm="${realm}", qop="auth", nonce="${nonce}", opaque="x1", Basic realm="${realm}"` });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'image/jpeg' });
    res.end(jpeg);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ISAPI/Streaming/channels/101/picture?snapShotImageType=JPEG`, attempts });
  }));
}

describe('snapshot', () => {
  let cam: SimulatedCamera;
  let simJpeg: Buffer;

  beforeAll(async () => {
    cam = await SimulatedCamera.start({ name: 'snap', username: 'admin', password: 'pw' });
    simJpeg = await readFile((await ensureMediaFiles()).snapshot);
  });
  afterAll(async () => { await cam?.stop(); });

  it('takes the ONVIF snapshot URI when it answers with a JPEG', async () => {
    const jpeg = await snapshot({ snapshotUri: cam.snapshotUrl, rtspUrl: cam.rtspUrl, username: 'admin', password: 'pw' });
    expect(jpeg.equals(simJpeg)).toBe(true);
  });

  it('grabs one frame over RTSP when there is no snapshot URI, or it fails', async () => {
    const started = performance.now();
    const direct = await snapshot({ rtspUrl: cam.rtspUrl, username: 'admin', password: 'pw' });
    const ms = performance.now() - started;
    const fallback = await snapshot({ snapshotUri: `${cam.snapshotUrl}.missing`, rtspUrl: cam.rtspUrl });
    for (const jpeg of [direct, fallback]) {
      expect(isJpeg(jpeg)).toBe(true);
      expect(jpeg.equals(simJpeg)).toBe(false); // a decoded frame, not the camera's stored picture
      expect(await probeJpeg(jpeg)).toBe('mjpeg,640,360');
    }
    console.info(`RTSP snapshot: ${direct.length} bytes in ${ms.toFixed(0)} ms`);
  });

  it('answers a digest challenge, and reports both failures when nothing works', async () => {
    const d = await digestServer(simJpeg, 'admin', 's3cret');
    try {
      const jpeg = await snapshot({ snapshotUri: d.url, rtspUrl: 'rtsp://127.0.0.1:1/none', username: 'admin', password: 's3cret' });
      expect(jpeg.equals(simJpeg)).toBe(true);
      expect(d.attempts).toEqual(['', 'Digest']);

      const failure = snapshot({ snapshotUri: d.url, rtspUrl: 'rtsp://127.0.0.1:1/none', username: 'admin', password: 'wrong' }, { rtspTimeoutMs: 5000 });
      await expect(failure).rejects.toBeInstanceOf(SnapshotError);
      await expect(failure).rejects.toThrow(/snapshot URI: HTTP 401; RTSP: .*refused/i);
      await expect(failure).rejects.not.toThrow(/wrong/); // the password never appears in the error
    } finally {
      await new Promise((r) => d.server.close(r));
    }
  });

  it('computes the RFC 2617 digest example', () => {
    const header = authorize('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      new URL('http://www.nowhere.org/dir/index.html'), 'Mufasa', 'Circle Of Life', '0a4f113b');
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    expect(authorize('Basic realm="cam"', new URL('http://x/'), 'a', 'b')).toBe(`Basic ${Buffer.from('a:b').toString('base64')}`);
  });
});

async function probeJpeg(jpeg: Buffer): Promise<string> {
  const file = join(tmpdir(), `sargs-snap-${process.pid}-${randomBytes(4).toString('hex')}.jpg`);
  await writeFile(file, jpeg);
  try {
    return (await run('/usr/bin/ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', file], 10_000)).stdout.trim();
  } finally {
    await rm(file, { force: true });
  }
}
