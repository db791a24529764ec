import type { FrameHeader } from '@sargs/shared/mavlink/tlog';

/** One whole MAVLink frame as the relay received it (CRC checked where the message id is known). */
export interface ReceivedFrame {
  /** The frame's bytes exactly as received: start byte to the end of CRC (and signature). */
  raw: Buffer;
  header: FrameHeader;
  /** Name of the endpoint it arrived on (from the agent's configuration). */
  endpoint: string;
  /** Wall-clock receive time, milliseconds since the Unix epoch (from the injected clock). */
  atMs: number;
}

/**
 * Something at the edge that reads the relayed traffic: the vehicle tracker, the live
 * telemetry decimator, the tlog recorder. It must not block: the relay calls it inline.
 */
export interface FrameConsumer {
  handle(frame: ReceivedFrame): void;
}
