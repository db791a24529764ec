// Test support for lighting on the wire (used by agent/src/lighting/*.test.ts and
// test/e2e/lighting-*.test.ts): a socat pseudo-terminal pair standing in for a USB DMX
// interface, and receivers that decode what the agent sends independently of the dmx package.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { SerialPort } from 'serialport';

/** socat joining two ptys: the agent opens `a` as its interface, the test reads `b`. */
export class SocatPair {
  private proc: ChildProcess | undefined;

  constructor(readonly a: string, readonly b: string) {}

  /** Resolves once socat says both ends are up. */
  async start(): Promise<void> {
    const proc = spawn('/usr/bin/socat', ['-d', '-d', `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let said = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socat not ready in 10 s: ${said}`)), 10_000);
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (chunk: string) => {
        said += chunk;
        if (said.includes('starting data transfer loop')) { clearTimeout(timer); resolve(); }
      });
      proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`socat exited (${code}): ${said}`)); });
    });
  }

  /** "Unplugs" the interface: socat goes and with it both ptys and their links. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    await exited;
  }
}

export interface EnttecFrame { label: number; length: number; startCode: number; channels: Uint8Array }

/**
 * Splits a byte stream into Enttec DMX USB Pro messages: 0x7E, label, length LSB, length MSB,
 * data, 0xE7. Bytes that do not start a well-formed message are counted as garbage.
 */
export function parseEnttec(buf: Buffer): { frames: EnttecFrame[]; rest: Buffer; garbage: number } {
  const frames: EnttecFrame[] = [];
  let i = 0;
  let garbage = 0;
  while (i < buf.length) {
    if (buf[i] !== 0x7e) { i++; garbage++; continue; }
    if (i + 4 > buf.length) break;
    const length = buf[i + 2]! | (buf[i + 3]! << 8);
    const end = i + 4 + length;
    if (end >= buf.length) break;
    if (buf[end] !== 0xe7) { i++; garbage++; continue; }
    const data = buf.subarray(i + 4, end);
    frames.push({ label: buf[i + 1]!, length, startCode: data[0] ?? -1, channels: new Uint8Array(data.subarray(1)) });
    i = end + 1;
  }
  return { frames, rest: buf.subarray(i), garbage };
}

/** Reads the test's end of the pty pair and keeps the frames that arrive. */
export class EnttecReader {
  frames: EnttecFrame[] = [];
  garbage = 0;
  private pending = Buffer.alloc(0);
  private port: SerialPort | undefined;

  constructor(private readonly path: string) {}

  async open(): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: 250_000, autoOpen: false });
    port.on('error', () => undefined); // socat going away is part of the test
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (chunk: Buffer) => {
      const r = parseEnttec(Buffer.concat([this.pending, chunk]));
      this.frames.push(...r.frames);
      if (this.frames.length > 200) this.frames.splice(0, this.frames.length - 200);
      this.garbage += r.garbage;
      this.pending = Buffer.from(r.rest);
    });
    this.port = port;
  }

  get last(): EnttecFrame | undefined { return this.frames[this.frames.length - 1]; }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

export interface ArtDmx { id: string; opCode: number; protocolVersion: number; sequence: number; physical: number; universe: number; length: number; data: Uint8Array }

/** Decodes an ArtDmx packet (Art-Net 4): "Art-Net\0", OpCode LE, ProtVer BE, Sequence, Physical, SubUni+Net LE, Length BE, data. */
export function decodeArtDmx(p: Buffer): ArtDmx | undefined {
  if (p.length < 18) return undefined;
  const length = p.readUInt16BE(16);
  return {
    id: p.subarray(0, 8).toString('latin1'), opCode: p.readUInt16LE(8), protocolVersion: p.readUInt16BE(10),
    sequence: p[12]!, physical: p[13]!, universe: p.readUInt16LE(14), length, data: new Uint8Array(p.subarray(18, 18 + length)),
  };
}

/**
 * An Art-Net node on 127.0.0.1, keeping the packets it receives and emitting each as `dmx`.
 * The port is the kernel's choice unless one is asked for (the demo keeps its node's port across runs).
 */
export class ArtnetReceiver extends EventEmitter<{ dmx: [ArtDmx] }> {
  packets: ArtDmx[] = [];
  private socket: Socket | undefined;
  port = 0;

  /** Rejects (e.g. EADDRINUSE) when `port` cannot be bound. */
  async start(port = 0): Promise<void> {
    const s = createSocket('udp4');
    s.on('message', (msg) => {
      const d = decodeArtDmx(msg);
      if (!d) return;
      this.packets.push(d);
      if (this.packets.length > 500) this.packets.splice(0, this.packets.length - 500);
      this.emit('dmx', d);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, '127.0.0.1', () => { s.off('error', reject); resolve(); });
      });
    } catch (err) {
      s.close();
      throw err;
    }
    this.port = s.address().port;
    this.socket = s;
  }

  last(universe: number): ArtDmx | undefined {
    for (let i = this.packets.length - 1; i >= 0; i--) if (this.packets[i]!.universe === universe) return this.packets[i];
    return undefined;
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
