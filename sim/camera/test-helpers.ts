// Client-side tools for the simulator's tests: the onvif library promisified, raw SOAP, TCP probes and ffmpeg.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import onvif, { type Cam, type CamOptions } from 'onvif';
import { usernameTokenHeader, type Credentials } from './auth';
import { SOAP11_NS, SOAP12_NS, type SoapVersion } from './soap';

export function connectCam(opts: CamOptions): Promise<Cam> {
  return new Promise((resolve, reject) => {
    const cam: Cam = new onvif.Cam({ timeout: 5000, ...opts }, (err) => (err ? reject(err) : resolve(cam)));
  });
}

/** Turns one of the onvif library's `(err, result)` callback methods into a promise. */
export function call<T>(invoke: (cb: (err: Error | null, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => invoke((err, result) => (err ? reject(err) : resolve(result))));
}

export interface SoapCall {
  operation: string;
  /** Namespace of the operation element; the device service by default. */
  ns?: string;
  inner?: string;
  version?: SoapVersion;
  credentials?: Credentials;
  /** When the client believes it is; shifts Created in the UsernameToken. */
  created?: Date;
}

export async function soap(url: string, req: SoapCall): Promise<{ status: number; contentType: string; body: string }> {
  const version = req.version ?? '1.2';
  const ns = req.ns ?? 'http://www.onvif.org/ver10/device/wsdl';
  const security = req.credentials ? usernameTokenHeader(req.credentials, req.created ?? new Date(), randomBytes(16)) : '';
  const envNs = version === '1.2' ? SOAP12_NS : SOAP11_NS;
  const xml = `<s:Envelope xmlns:s="${envNs}"><s:Header>${security}</s:Header>` +
    `<s:Body><${req.operation} xmlns="${ns}">${req.inner ?? ''}</${req.operation}></s:Body></s:Envelope>`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': version === '1.2' ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8' },
    body: xml,
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** Opens and closes a TCP connection; resolves 'connected' or the error code (e.g. ECONNREFUSED). */
export function tcpProbe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(5000, () => { socket.destroy(); resolve('ETIMEDOUT'); });
    socket.once('connect', () => { socket.destroy(); resolve('connected'); });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

export interface ProcessResult { code: number | null; stdout: string; stderr: string }

/** Runs a process to completion, killing it if it outlives `timeoutMs`. */
export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export async function ffprobeStream(url: string): Promise<{ ok: boolean; codec?: string; width?: number; height?: number; fps?: string; stderr: string }> {
  const res = await run('/usr/bin/ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000',
    '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'json', url]);
  if (res.code !== 0) return { ok: false, stderr: res.stderr };
  const stream = (JSON.parse(res.stdout) as { streams?: Array<{ codec_name: string; width: number; height: number; r_frame_rate: string }> }).streams?.[0];
  if (!stream) return { ok: false, stderr: res.stderr };
  return { ok: true, codec: stream.codec_name, width: stream.width, height: stream.height, fps: stream.r_frame_rate, stderr: res.stderr };
}

/**
 * An ffmpeg copying an RTSP stream to nowhere, reporting how many frames it has received.
 * Tests wait on its progress events instead of sleeping.
 */
export class FfmpegReader extends EventEmitter {
  frames = 0;
  lastProgressAt = Date.now();
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;

  constructor(url: string) {
    super();
    this.child = spawn('/usr/bin/ffmpeg', ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
      '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', '-f', 'null', '-', '-progress', 'pipe:1', '-stats_period', '0.2']);
    let buf = '';
    this.child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^frame=(\d+)/.exec(line);
        if (m?.[1] === undefined) continue;
        this.frames = Number(m[1]);
        this.lastProgressAt = Date.now();
        this.emit('progress', this.frames);
      }
    });
    this.child.stderr.resume();
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => { this.emit('exit', code); resolve(code); }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves once `pred(frames)` holds after a progress report; rejects on timeout or exit. */
  waitFor(pred: (frames: number) => boolean, timeoutMs: number, what: string): Promise<number> {
    if (pred(this.frames)) return Promise.resolve(this.frames);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => { clearTimeout(timer); this.off('progress', onProgress); this.off('exit', onExit); };
      const onProgress = (n: number): void => { if (pred(n)) { cleanup(); resolve(n); } };
      const onExit = (code: number | null): void => { cleanup(); reject(new Error(`ffmpeg exited (${code}) waiting for ${what}`)); };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${what}; frames=${this.frames}`)); }, timeoutMs);
      this.on('progress', onProgress);
      this.on('exit', onExit);
    });
  }

  /**
   * Resolves with the frame count once no new frame has arrived for `quietMs` (ffmpeg only reports
   * progress when packets arrive, so silence is the signal); rejects if frames keep coming for `timeoutMs`.
   */
  waitForSilence(quietMs: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      let timer: NodeJS.Timeout;
      const check = (): void => {
        const idle = Date.now() - this.lastProgressAt;
        if (idle >= quietMs) { this.off('exit', onExit); resolve(this.frames); return; }
        if (Date.now() > deadline) { this.off('exit', onExit); reject(new Error(`frames still arriving after ${timeoutMs} ms (frames=${this.frames})`)); return; }
        timer = setTimeout(check, quietMs - idle);
      };
      const onExit = (code: number | null): void => { clearTimeout(timer); reject(new Error(`ffmpeg exited (${code}) while frozen`)); };
      this.on('exit', onExit);
      check();
    });
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Established TCP connections to 127.0.0.1:port in this network namespace, client side. */
export async function establishedTo(port: number): Promise<number> {
  const table = await readFile('/proc/self/net/tcp', 'utf8');
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // Columns: sl local_address rem_address st ...; state 01 is ESTABLISHED.
  return table.split('\n').filter((l) => {
    const cols = l.trim().split(/\s+/);
    return cols[2] === remote && cols[3] === '01';
  }).length;
}
