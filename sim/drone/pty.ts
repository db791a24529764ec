import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FatalHandler, FrameSink } from './sink.ts';
import { withTimeout } from './sink.ts';

export interface PtySink extends FrameSink {
  /** The consumer's end, to be opened like a serial port (e.g. /dev/ttyACM0 on a real drone). */
  readonly devicePath: string;
}

const SOCAT = '/usr/bin/socat';
const SOCAT_READY = 'starting data transfer loop';
const START_TIMEOUT_MS = 10_000;

/** Resolves once socat reports both ptys are up; rejects if it dies or says nothing in time. */
function socatReady(proc: ChildProcess): Promise<void> {
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes(SOCAT_READY)) resolve();
    });
    proc.once('error', reject);
    proc.once('exit', (code, signal) => reject(new Error(`socat exited (${signal ?? code}) before it was ready: ${stderr.trim()}`)));
  });
  return withTimeout(ready, START_TIMEOUT_MS, 'socat');
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  await withTimeout(exited, 5_000, 'socat exit').catch(() => proc.kill('SIGKILL'));
}

/**
 * A serial link without hardware: socat joins two pseudo-terminals, the drone writes to
 * one and the consumer opens the other as its serial device. Like a UART, the link has
 * no handshake, so frames are written from the start; the kernel holds what has not been
 * read yet and stalls the writer once that buffer is full.
 */
export async function createPtySink(onFatal: FatalHandler): Promise<PtySink> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sargs-drone-pty-'));
  const droneEnd = path.join(dir, 'drone');
  const devicePath = path.join(dir, 'device');
  const proc = spawn(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${droneEnd}`, `pty,raw,echo=0,link=${devicePath}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let closing = false;
  let handle: fs.promises.FileHandle;
  try {
    await socatReady(proc);
    // O_NOCTTY: the simulator must not adopt the pty as its controlling terminal.
    handle = await fs.promises.open(droneEnd, fs.constants.O_WRONLY | fs.constants.O_NOCTTY);
  } catch (error) {
    await stopProcess(proc);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  proc.on('exit', (code, signal) => {
    if (!closing) onFatal(new Error(`socat exited unexpectedly (${signal ?? code})`));
  });
  const out = fs.createWriteStream(droneEnd, { fd: handle });
  out.on('error', (error) => {
    if (!closing) onFatal(error);
  });
  return {
    description: `serial pty ${devicePath}`,
    devicePath,
    peerReady: Promise.resolve(),
    send: (frame) => (out.write(frame) ? undefined : once(out, 'drain').then(() => undefined)),
    async close() {
      closing = true;
      // Let queued frames reach the pty, but not forever: with nobody reading, a full pty
      // never takes them, and a write blocked on it only returns once socat goes.
      if (!out.closed) {
        const closed = once(out, 'close').then(() => undefined, () => undefined);
        out.end();
        await withTimeout(closed, 1_000, 'pty flush').catch(() => out.destroy());
        await stopProcess(proc);
        await withTimeout(closed, 5_000, 'pty close').catch(() => undefined);
      }
      await stopProcess(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
