// A serial endpoint: a telemetry radio or an autopilot's USB port. Radios get unplugged,
// USB resets happen: when the device goes away the link is marked down and the port is
// reopened with backoff until the device path works again. Nothing here may throw into
// the agent.

import type { SerialPort } from 'serialport';
import { EndpointBase, type EndpointConfig, errorText } from './endpoint';
import { attachStream, SERIAL_QUEUE_LIMIT, type StreamPeer } from './stream-peer';

export const DEFAULT_BAUD = 57_600;

export class SerialEndpoint extends EndpointBase<EndpointConfig & { device: string }> {
  readonly kind = 'serial' as const;
  private port: SerialPort | undefined;
  private peer: StreamPeer | undefined;
  /** Times the port was opened; a test waits for it to grow after the device returns. */
  opens = 0;


  /** Resolves after the first attempt, open or not (it keeps trying in the background). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retry.cancel();
    const port = this.port;
    this.port = undefined;
    this.peer?.close();
    this.peer = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  protected link(): { up: boolean; peers: number } {
    return { up: this.peer !== undefined, peers: this.peer !== undefined ? 1 : 0 };
  }

  private async open(): Promise<void> {
    const { device } = this.config;
    const baudRate = this.config.baud ?? DEFAULT_BAUD;
    // serialport's native binding costs ~15 MB: loaded only by a gateway that has a serial radio.
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path: device, baudRate, autoOpen: false });
    // Without a listener an 'error' event would be thrown; failures are handled by 'close'.
    port.on('error', (err) => {
      this.lastError = errorText(err);
    });
    const error = await new Promise<Error | null>((resolve) => port.open(resolve));
    if (error !== null) {
      this.lastError = errorText(error);
      this.retryLater('cannot open serial device');
      return;
    }
    if (this.stopped) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
      return;
    }
    this.port = port;
    this.opens++;
    this.lastError = undefined;
    this.retry.succeeded();
    this.peer = attachStream(this.deps.router, port, `${this.name}/${device}`, this.name, this.stats, SERIAL_QUEUE_LIMIT);
    // serialport reports an unplugged device as 'close' with a DisconnectedError.
    port.once('close', (err: unknown) => {
      this.peer?.close();
      this.peer = undefined;
      this.port = undefined;
      if (this.stopped) return;
      this.lastError = err instanceof Error ? errorText(err) : 'closed';
      this.deps.log.warn({ device, err: this.lastError }, 'serial device gone, link down');
      this.retryLater('cannot reopen serial device');
    });
    this.deps.log.info({ device, baudRate }, 'serial endpoint open');
  }

  private retryLater(message: string): void {
    if (this.stopped) return;
    const delay = this.retry.schedule(() => void this.open());
    const fields = { device: this.config.device, err: this.lastError, retryInMs: delay };
    // A radio left unplugged for an hour must not fill the log: warn once, then debug.
    if (this.retry.failures <= 1) this.deps.log.warn(fields, message);
    else this.deps.log.debug(fields, message);
  }
}
