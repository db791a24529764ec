import { backoffDelay, type LightingOutput } from '@sargs/shared';
import { ComponentLoop } from '../util/waker';
import { adoptSerialDriver, type DriverSerialPort, type SerialDriverName } from './dmx-drivers';
import { DmxOutput, type OutputDeps } from './dmx-output';

export interface SerialReconnect { baseMs: number; maxMs: number }
/** A re-plugged USB interface is picked up within ~5 s; a missing one costs one open attempt per 5 s. */
export const SERIAL_RECONNECT: SerialReconnect = { baseMs: 500, maxMs: 5000 };

/** A person's reason for an interface that cannot be used. */
function problemText(err: unknown, path: string): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const msg = e?.message ?? String(err);
  if (/ENOENT|No such file/i.test(msg)) return `no device at ${path} (unplugged?)`;
  if (/EACCES|Permission denied/i.test(msg)) return `permission denied on ${path} (is the agent's user in the dialout group?)`;
  if (/EIO|disconnected|i\/o error/i.test(msg)) return `the interface at ${path} stopped answering (unplugged?)`;
  return `${path}: ${msg}`;
}

/**
 * An Enttec DMX USB Pro or Open DMX on a serial path, kept open across unplugging.
 *
 * The dmx package's Enttec drivers cannot do this themselves (dmx 0.25.1, serialport 11):
 * a device missing at start is only `console.warn`ed, never retried and never reported; an
 * unplug makes serialport emit 'error' on a port nobody listens to, which is an uncaught
 * exception that ends the agent; and `close()` of the Pro driver leaves its frame timer
 * running. So this class owns the port (serialport 13, the agent's own), listens for its
 * errors, and on open builds a fresh package driver around it (`adoptSerialDriver`) that
 * sends the shared frame buffer; when the port goes, the driver is stopped and the port is
 * reopened by path with backoff. A path under /dev/serial/by-id/ survives re-plugging.
 *
 * One loop (DESIGN §2): open, run until the port closes or stop(), wait, again.
 */
export class SerialOutput extends DmxOutput {
  /** Byte 0 is the driver's slot for the start code; 1–512 are the channels. */
  private readonly universe = Buffer.alloc(513);
  private readonly loop = new ComponentLoop((signal) => this.run(signal));
  private closeNow: (() => void) | undefined;
  /** Times the port was tried and opened; tests watch them grow while the device is away and after it returns. */
  attempts = 0;
  opens = 0;

  constructor(spec: LightingOutput, deps: OutputDeps, private readonly reconnect: SerialReconnect = SERIAL_RECONNECT) {
    super(spec, spec.path ?? '', deps);
  }

  start(): void {
    if (this.loop.running) return;
    this.loop.start();
  }

  async stop(): Promise<void> {
    const stopping = this.loop.stop();
    this.closeNow?.();
    await stopping;
  }

  protected send(changed: Record<number, number>): void {
    for (const [ch, v] of Object.entries(changed)) this.universe[Number(ch)] = v;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const problem = await this.session(signal);
      if (signal.aborted) break;
      if (problem.opened) failures = 0;
      this.setStatus('down', problem.text);
      await this.loop.sleep(backoffDelay(failures++, this.reconnect), signal);
    }
  }

  /** One open port: resolves when it is gone (or could not be opened), saying why. */
  private async session(signal: AbortSignal): Promise<{ opened: boolean; text: string }> {
    const path = this.target;
    // serialport's native binding costs ~15 MB: loaded only by a gateway with a USB DMX interface.
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path, baudRate: 250_000, dataBits: 8, stopBits: 2, parity: 'none', autoOpen: false });
    let lastError: unknown;
    this.attempts++;
    port.on('error', (err) => { lastError = err; }); // without a listener an unplug is an uncaught exception
    const openError = await new Promise<Error | null>((resolve) => port.open(resolve));
    if (openError) return { opened: false, text: problemText(openError, path) };
    if (signal.aborted) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
      return { opened: true, text: 'stopped' };
    }
    this.opens++;
    const driver = adoptSerialDriver(this.spec.driver as SerialDriverName, port as unknown as DriverSerialPort, this.universe, this.spec.refreshHz ?? 40);
    const gone = new Promise<unknown>((resolve) => {
      port.once('close', (err: unknown) => resolve(err ?? lastError));
      this.closeNow = () => { if (port.isOpen) port.close(); else resolve(undefined); };
    });
    driver.start();
    this.deps.log.info({ universe: this.spec.universe, path, driver: this.spec.driver }, 'DMX interface open');
    this.setStatus('up', null);
    const why = await gone;
    driver.stop();
    this.closeNow = undefined;
    return { opened: true, text: problemText(why ?? lastError ?? new Error('closed'), path) };
  }
}
