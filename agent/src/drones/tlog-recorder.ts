import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../cameras/types';
import { ComponentLoop, IDLE_SLEEP_MS } from '../util/waker';
import type { ReceivedFrame } from './frame-consumer';
import { PreArmBuffer } from './pre-arm-buffer';
import { TlogBudget } from './tlog-budget';
import { TlogFile, tlogName, type TlogName } from './tlog-file';
import type { Vehicle, VehicleFrameConsumer } from './vehicles';

export interface TlogRecorderSettings {
  tlogDir: string;
  /** Disk budget of the tlog folder (default 2 GiB). */
  budgetBytes?: number;
  /**
   * Frames kept from before arming and written at the start of the flight file (default 30 s):
   * pre-arm checks, GPS lock and home position belong to the flight's record. They are also
   * in the ground log.
   */
  preArmMs?: number;
  /** A flight whose vehicle's link stays lost this long is closed and sent (default 120 s). */
  flightEndAfterLostMs?: number;
  /** A ground log is closed and a new one started past this size or age (defaults 32 MiB, 1 h). */
  groundFileMaxBytes?: number;
  groundFileMaxMs?: number;
  /** Buffered records are written at least this often (default 1 s). */
  flushIntervalMs?: number;
}

/** A finished flight's tlog, handed to whoever sends it to the hub. */
export interface ClosedFlight {
  flightId: string;
  path: string;
  vehicleKey: string;
  systemId: number;
  startedAt: string;
  endedAt?: string;
}

export interface FlightSink {
  closed(flight: ClosedFlight): Promise<void>;
  /** True until the hub has acknowledged the whole flight: its file must not be rotated away. */
  isPending(flightId: string): boolean;
}

export interface TlogRecorderDeps {
  flights: FlightSink;
  clock: Clock;
  log: Logger;
  settings: TlogRecorderSettings;
}

interface Flight { id: string; file: TlogFile; vehicle: Vehicle; startedMs: number }

/** Per vehicle (or, for frames no vehicle sent, per system id): its ground log, flight and pre-arm frames. */
interface Source {
  ground?: TlogFile;
  flight?: Flight;
  preArm: PreArmBuffer;
}

/** A ground log nothing was written to for this long is closed: no idle open files. */
const GROUND_IDLE_MS = 60_000;

/**
 * Writes every relayed frame to tlog files at full rate: a flight file per vehicle from arming
 * (with the last preArmMs of frames before it) to disarming, or until its link has been lost
 * for flightEndAfterLostMs; everything else to rolling ground logs. Frames no vehicle sent
 * (ground stations, radios) go into every open flight, as a ground station's own tlog would
 * hold them, and to a ground log when no flight is open.
 */
export class TlogRecorder implements VehicleFrameConsumer {
  private readonly sources = new Map<string, Source>();
  private settings: Required<TlogRecorderSettings>;
  private readonly budget: TlogBudget;
  private readonly closing = new Set<Promise<void>>();
  /** Paths of files open or being closed, so a new file never takes one's name. */
  private readonly inUse = new Set<string>();
  private openFlights = 0;
  private readonly loop = new ComponentLoop((signal) => this.run(signal));
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: TlogRecorderDeps) {
    this.settings = normalise(deps.settings);
    this.budget = new TlogBudget(this.settings.tlogDir, deps.log);
  }

  /** Reads the folder (recovering files a crash left open, handing unsent flights on), then starts the loop. */
  async start(): Promise<void> {
    if (this.loop.running) return;
    await mkdir(this.settings.tlogDir, { recursive: true });
    for (const f of await this.budget.scan()) {
      const { flightId, vehicleKey, startedMs } = f.name;
      if (flightId === undefined) continue;
      await this.handOn({
        flightId, path: f.path, vehicleKey, systemId: Number(/^sys(\d+)/.exec(vehicleKey)![1]),
        startedAt: new Date(startedMs).toISOString(), endedAt: new Date(f.closedMs).toISOString(),
      });
    }
    this.loop.start();
  }

  /** Ends the loop and closes every file; open flights are closed and handed on as they are. */
  async stop(): Promise<void> {
    await this.loop.stop();
    const now = this.deps.clock.now();
    for (const src of this.sources.values()) {
      if (src.flight) this.closeFlight(src, now, 'agent stopping');
      if (src.ground) this.closeGround(src);
    }
    await this.idle();
  }

  /** New limits take effect at the next step; a different tlogDir only at the next start. */
  reload(settings: TlogRecorderSettings): void {
    if (settings.tlogDir !== this.settings.tlogDir) this.deps.log.warn({ tlogDir: settings.tlogDir }, 'a new tlog folder is used after a restart');
    this.settings = normalise({ ...settings, tlogDir: this.settings.tlogDir });
    this.loop.wake();
  }

  /** Resolves once every file being closed is closed and handed on. */
  async idle(): Promise<void> {
    while (this.closing.size) await Promise.all(this.closing);
    await this.sweeping;
  }

  closedFiles(): ReturnType<TlogBudget['list']> {
    return this.budget.list();
  }

  handleVehicleFrame(frame: ReceivedFrame, vehicle: Vehicle | undefined): void {
    const { atMs, raw } = frame;
    if (!vehicle) {
      if (this.openFlights > 0) {
        for (const src of this.sources.values()) src.flight?.file.appendFrame(atMs, raw);
      } else {
        const key = `sys${frame.header.sysid}`;
        this.toGround(this.source(key), key, frame);
      }
      return;
    }
    const src = this.source(vehicle.key);
    if (src.flight) {
      src.flight.file.appendFrame(atMs, raw);
      if (!vehicle.armed) this.closeFlight(src, atMs, 'disarmed');
    } else if (vehicle.armed) {
      this.openFlight(src, vehicle, atMs).file.appendFrame(atMs, raw);
    } else {
      this.toGround(src, vehicle.key, frame);
    }
  }

  /** One step of the loop: write buffers, end flights whose link stayed lost, roll ground logs, keep the budget. */
  async tick(now = this.deps.clock.now()): Promise<void> {
    const s = this.settings;
    for (const [key, src] of this.sources) {
      void src.flight?.file.flush();
      void src.ground?.flush();
      const v = src.flight?.vehicle;
      if (v && !v.linkUp && now - v.lastHeartbeatMs >= s.flightEndAfterLostMs) this.closeFlight(src, v.lastHeartbeatMs, 'link lost');
      const g = src.ground;
      if (g && (g.bytes >= s.groundFileMaxBytes || now - g.name.startedMs >= s.groundFileMaxMs || now - g.lastRecordMs >= GROUND_IDLE_MS)) this.closeGround(src);
      const last = src.preArm.lastAtMs;
      if (!src.flight && !src.ground && (last === undefined || now - last > s.preArmMs)) this.sources.delete(key);
    }
    await this.enforceBudget();
  }

  /** Deletes old closed logs while the folder is over budget (never unsent flights). */
  enforceBudget(): Promise<unknown> {
    let open = 0;
    for (const src of this.sources.values()) open += (src.flight?.file.bytes ?? 0) + (src.ground?.bytes ?? 0);
    const run = this.sweeping.then(() => this.budget.enforce(this.settings.budgetBytes, open, (id) => this.deps.flights.isPending(id)));
    this.sweeping = run.catch((err: unknown) => this.deps.log.error({ err }, 'tlog rotation failed'));
    return this.sweeping;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick();
      await this.loop.sleep(this.sources.size === 0 ? IDLE_SLEEP_MS : this.settings.flushIntervalMs, signal);
    }
  }

  private source(key: string): Source {
    let src = this.sources.get(key);
    if (!src) {
      src = { preArm: new PreArmBuffer() };
      const wasIdle = this.sources.size === 0;
      this.sources.set(key, src);
      if (wasIdle) this.loop.wake();
    }
    return src;
  }

  private toGround(src: Source, key: string, { atMs, raw }: ReceivedFrame): void {
    src.ground ??= this.file({ kind: 'ground', vehicleKey: key, startedMs: atMs });
    src.ground.appendFrame(atMs, raw);
    src.preArm.push(atMs, raw, this.settings.preArmMs);
  }

  private openFlight(src: Source, vehicle: Vehicle, atMs: number): Flight {
    const id = randomUUID();
    const file = this.file({ kind: 'flight', vehicleKey: vehicle.key, startedMs: atMs, flightId: id });
    file.appendRecords(src.preArm.take(atMs, this.settings.preArmMs), atMs);
    src.flight = { id, file, vehicle, startedMs: atMs };
    this.openFlights++;
    this.deps.log.info({ vehicle: vehicle.key, flightId: id, path: file.path }, 'flight recording started');
    return src.flight;
  }

  private closeFlight(src: Source, endMs: number, reason: string): void {
    const f = src.flight;
    if (!f) return;
    src.flight = undefined;
    this.openFlights--;
    this.deps.log.info({ vehicle: f.vehicle.key, flightId: f.id, bytes: f.file.bytes, reason }, 'flight recording ended');
    this.track(f.file, async (path) => this.handOn({
      flightId: f.id, path, vehicleKey: f.vehicle.key, systemId: f.vehicle.systemId,
      startedAt: new Date(f.startedMs).toISOString(), endedAt: new Date(Math.max(endMs, f.startedMs)).toISOString(),
    }));
  }

  private closeGround(src: Source): void {
    const g = src.ground;
    if (!g) return;
    src.ground = undefined;
    this.track(g, async () => undefined);
  }

  private track(file: TlogFile, then: (path: string) => Promise<void>): void {
    const p = file.close()
      .then(async (path) => {
        this.budget.add({ path, name: file.name, bytes: file.bytes, closedMs: this.deps.clock.now() });
        await then(path);
        await this.enforceBudget();
      })
      .catch((err: unknown) => this.deps.log.error({ err, path: file.path }, 'could not close a tlog'))
      .finally(() => {
        this.inUse.delete(file.path);
        this.closing.delete(p);
      });
    this.closing.add(p);
  }

  private async handOn(flight: ClosedFlight): Promise<void> {
    try {
      await this.deps.flights.closed(flight);
    } catch (err) {
      // The file stays on disk: the next start-up hands it on again.
      this.deps.log.error({ err, flightId: flight.flightId }, 'could not hand a finished flight to the sender');
    }
  }

  /** Names are per second: a second ground log within the same second of a closed one starts a second later. */
  private file(name: TlogName): TlogFile {
    const taken = (n: TlogName) => {
      const path = join(this.settings.tlogDir, tlogName(n));
      return this.budget.has(path) || this.inUse.has(path);
    };
    while (name.kind === 'ground' && taken(name)) name = { ...name, startedMs: name.startedMs + 1000 };
    const file = new TlogFile(this.settings.tlogDir, name, (err) => this.deps.log.error({ err, name }, 'tlog write failed'));
    this.inUse.add(file.path);
    return file;
  }
}

function normalise(s: TlogRecorderSettings): Required<TlogRecorderSettings> {
  return {
    tlogDir: s.tlogDir,
    budgetBytes: s.budgetBytes ?? 2 * 1024 ** 3,
    preArmMs: s.preArmMs ?? 30_000,
    flightEndAfterLostMs: s.flightEndAfterLostMs ?? 120_000,
    groundFileMaxBytes: s.groundFileMaxBytes ?? 32 * 1024 ** 2,
    groundFileMaxMs: s.groundFileMaxMs ?? 3_600_000,
    flushIntervalMs: s.flushIntervalMs ?? 1000,
  };
}
