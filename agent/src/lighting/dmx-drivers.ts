import type { Socket } from 'node:dgram';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

/**
 * The drivers of the `dmx` package (node-dmx 0.25.1), typed as far as this agent uses them.
 * They are CommonJS constructors; each is loaded only when an output needs it, so an agent
 * without lighting never loads serialport's native binding or the sACN library.
 *
 * What the package does well and we keep: the wire framing (Art-Net ArtDmx header, Enttec
 * "Send DMX" label 6, the Open DMX break timing, sACN packets). What it does not do, and
 * `dmx-output.ts` / `serial-output.ts` add around it, is written next to each wrapper.
 */

const require = createRequire(import.meta.url);

interface Driver extends EventEmitter {
  update(channels: Record<number, number>, extra?: object): void;
  sendUniverse(): void;
  start(): void;
  stop(): void;
  close(cb: (err: Error | null) => void): void;
}

export interface ArtnetDriver extends Driver {
  /** Bytes 1–512 are channels 1–512 (byte 0 unused). */
  universe: Buffer;
  /** The driver's own UDP socket; the driver never closes it nor listens for its errors. */
  dev: Socket;
  /** One byte; the driver leaves it at 0 ("sequencing disabled"). */
  sequence: Buffer;
  /** False while a packet is on its way; the driver skips a frame then. */
  readyToWrite: boolean;
}

export interface SacnDriver extends Driver {
  /** Channel → percent (the sacn library's payload format). */
  universe: Record<number, number>;
  sACNServer: { send(packet: { payload: Record<number, number> }): Promise<void>; close(): void; socket?: Socket };
}

/** The part of a serial port the Enttec drivers call. */
export interface DriverSerialPort {
  writable: boolean;
  write(data: Buffer): boolean;
  drain(cb: (err?: Error | null) => void): void;
  set(flags: { brk?: boolean; rts?: boolean }, cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): void;
}

export interface SerialDriver extends Driver {
  universe: Buffer;
  readyToWrite: boolean;
  interval: number;
  dev: DriverSerialPort;
}

type Ctor<T> = new (deviceId: string | undefined, options: Record<string, unknown>) => T;

export function artnetDriver(host: string, options: { universe: number; port: number; dmx_speed: number }): ArtnetDriver {
  const Artnet = require('dmx/drivers/artnet.js') as Ctor<ArtnetDriver>;
  return new Artnet(host, options);
}

export function sacnDriver(options: { universe: number }): SacnDriver {
  const Sacn = require('dmx/drivers/sacn.js') as Ctor<SacnDriver>;
  return new Sacn(undefined, options);
}

export type SerialDriverName = 'enttec-usb-dmx-pro' | 'enttec-open-usb-dmx';

/**
 * An Enttec driver bound to a port this agent opened and watches. The package's constructors
 * open the port themselves and then cannot survive an unplug (see serial-output.ts), so we build
 * the driver object the way its constructor would, minus the open, and hand it our port:
 * framing and timing stay the package's. Fields are those of dmx 0.25.1 (pinned exactly).
 */
export function adoptSerialDriver(name: SerialDriverName, port: DriverSerialPort, universe: Buffer, refreshHz: number): SerialDriver {
  const Driver = require(`dmx/drivers/${name}.js`) as Ctor<SerialDriver>;
  const driver = Object.create(Driver.prototype) as SerialDriver;
  Object.assign(driver, { universe, readyToWrite: true, interval: 1000 / refreshHz, dev: port });
  return driver;
}
