import { readFile } from 'node:fs/promises';
import { parseTlog, type TlogRecord, type TlogWarning } from '@sargs/shared/mavlink/tlog';
import { DEFAULT_DRAIN, withSimulatedBattery, type BatteryDrain } from './battery.ts';
import { realClock, type Clock } from './clock.ts';
import { DEFAULT_TLOG } from './fixtures.ts';
import { createPtySink } from './pty.ts';
import { replay, type ReplayProgress } from './replay.ts';
import type { FatalHandler, FrameSink } from './sink.ts';
import { createTcpClientSink, createTcpServerSink } from './tcp.ts';
import { createUdpClientSink, createUdpServerSink } from './udp.ts';

export { DEFAULT_TLOG, MAVLINK_FIXTURES } from './fixtures.ts';
export type { Clock } from './clock.ts';
export type { BatteryDrain } from './battery.ts';

export type DroneTransport =
  | { kind: 'udp'; host: string; port: number }
  | { kind: 'udp-server'; host?: string; port?: number }
  | { kind: 'tcp-client'; host: string; port: number }
  | { kind: 'tcp-server'; host?: string; port?: number }
  | { kind: 'pty' };

export interface DroneOptions {
  /** Path of a .tlog, or its bytes; defaults to the ArduPlane VTOL SITL fixture. */
  tlog?: string | Buffer;
  transport: DroneTransport;
  /** 1 (default) = recorded pace, N = N times faster, Infinity = as fast as the link takes. */
  speed?: number;
  /** Start over after the last record until stop(). */
  loop?: boolean;
  /** Only records up to this many microseconds after the first one. */
  untilUs?: number;
  /** Only the first N records (applied after untilUs). */
  maxRecords?: number;
  /**
   * Where the log's SYS_STATUS reports no battery (SITL logs), report a pack draining over the
   * replay: true for 100 % to 40 %, or the charge at the first and last record.
   */
  battery?: boolean | BatteryDrain;
  /** Frames sent back to back before yielding to the event loop (default 32). */
  burst?: number;
  clock?: Clock;
}

export interface DroneResult {
  frames: number;
  bytes: number;
}

const LOCALHOST = '127.0.0.1';

function createSink(transport: DroneTransport, onFatal: FatalHandler): Promise<FrameSink & { port?: number; devicePath?: string }> {
  switch (transport.kind) {
    case 'udp': return createUdpClientSink(transport.host, transport.port, onFatal);
    case 'udp-server': return createUdpServerSink(transport.host ?? LOCALHOST, transport.port ?? 0, onFatal);
    case 'tcp-client': return createTcpClientSink(transport.host, transport.port, onFatal);
    case 'tcp-server': return createTcpServerSink(transport.host ?? LOCALHOST, transport.port ?? 0, onFatal);
    case 'pty': return createPtySink(onFatal);
  }
}

function selectRecords(all: TlogRecord[], untilUs: number | undefined, maxRecords: number | undefined): TlogRecord[] {
  const first = all[0];
  let records = all;
  if (untilUs !== undefined && first !== undefined) {
    const limit = first.timeUs + BigInt(Math.floor(untilUs));
    records = records.filter((r) => r.timeUs <= limit);
  }
  return maxRecords === undefined ? records : records.slice(0, maxRecords);
}

/**
 * A vehicle without hardware: replays a recorded tlog over UDP, TCP or a serial pty, as
 * the autopilot's telemetry port would send it.
 */
export class SimulatedDrone {
  /** Resolves once every selected record was handed to the link (never, with loop, before stop()). Rejects if the link fails. */
  readonly done: Promise<DroneResult>;
  /** Damage the tlog reader skipped over. */
  readonly warnings: readonly TlogWarning[];
  readonly records: readonly TlogRecord[];
  private readonly progress: ReplayProgress = { frames: 0, bytes: 0, passes: 0 };
  private readonly abort = new AbortController();
  private settle!: (result: DroneResult | Error) => void;
  private stopping: Promise<DroneResult> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly sink: FrameSink & { port?: number; devicePath?: string },
    records: TlogRecord[],
    warnings: TlogWarning[],
  ) {
    this.records = records;
    this.warnings = warnings;
    this.done = new Promise<DroneResult>((resolve, reject) => {
      this.settle = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
    });
    // Callers who only ever stop() a looping drone never await done; its failure is still
    // reported to whoever does.
    this.done.catch(() => undefined);
  }

  static async start(options: DroneOptions): Promise<SimulatedDrone> {
    const speed = options.speed ?? 1;
    if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
    const bytes = Buffer.isBuffer(options.tlog) ? options.tlog : await readFile(options.tlog ?? DEFAULT_TLOG);
    const parsed = parseTlog(bytes);
    const selected = selectRecords(parsed.records, options.untilUs, options.maxRecords);
    const records = options.battery ? withSimulatedBattery(selected, options.battery === true ? DEFAULT_DRAIN : options.battery) : selected;
    if (records.length === 0) throw new Error('the tlog has no records to replay');

    // Link failures can arrive before the drone object exists; hold them until it does.
    const early: Error[] = [];
    let onFatal: FatalHandler = (error) => early.push(error);
    const sink = await createSink(options.transport, (error) => onFatal(error));
    const started = new SimulatedDrone(sink, records, parsed.warnings);
    onFatal = (error) => started.fail(error);
    if (early[0] !== undefined) started.fail(early[0]);

    const clock = options.clock ?? realClock;
    const signal = started.abort.signal;
    void Promise.race([sink.peerReady, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))])
      .then(() => replay(records, sink, { speed, loop: options.loop ?? false, burst: options.burst ?? 32, clock, signal }, started.progress))
      .then(() => started.settle(started.result()), (error: unknown) => started.fail(error instanceof Error ? error : new Error(String(error))));
    return started;
  }

  /** Where frames go, e.g. "udp://127.0.0.1:14550". */
  get description(): string {
    return this.sink.description;
  }

  /** The serial device to open (pty transport). */
  get devicePath(): string | undefined {
    return this.sink.devicePath;
  }

  /** The local port (servers: where to connect or send to; udp: the source port). */
  get port(): number | undefined {
    return this.sink.port;
  }

  /** Frames and bytes handed to the link so far. */
  get sent(): DroneResult {
    return this.result();
  }

  /** Completed passes through the records. */
  get passes(): number {
    return this.progress.passes;
  }

  /** Stops sending, closes the link and resolves with what was sent (also settling done). */
  stop(): Promise<DroneResult> {
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.closeLink();
      const result = this.result();
      this.settle(result);
      return result;
    })();
    return this.stopping;
  }

  private fail(error: Error): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.settle(error);
    void this.closeLink().catch(() => undefined);
  }

  private closeLink(): Promise<void> {
    this.closing ??= this.sink.close();
    return this.closing;
  }

  private result(): DroneResult {
    return { frames: this.progress.frames, bytes: this.progress.bytes };
  }
}
