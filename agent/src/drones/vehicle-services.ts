import type { VehicleList } from '@sargs/shared/protocol/drones';
import type { Level } from 'level';
import type { Logger } from 'pino';
import type { Clock } from '../cameras/types';
import { FlightLogSender, type FlightLogOutbox } from './flight-log-sender';
import { TelemetryDecimator } from './telemetry';
import { TlogRecorder } from './tlog-recorder';
import { VehicleTracker } from './vehicles';

export interface VehicleServicesSettings {
  tlogDir: string;
  tlogBudgetBytes: number;
  preArmMs: number;
  flightEndAfterLostMs: number;
  /** Tests shorten these; the defaults are the product's (3.5 s, 500 ms). */
  linkLostMs?: number;
  telemetryIntervalMs?: number;
}

export interface VehicleServicesDeps {
  db: Level<string, unknown>;
  /** The agent's Outbox (same database as `db`): flight logs are queued with their progress in one batch. */
  outbox: FlightLogOutbox;
  emitEvent: (kind: string, data: Record<string, unknown>) => Promise<number>;
  /** HubLink.sendLive('vehicles', …). */
  sendLive: (list: VehicleList) => boolean | void;
  clock: Clock;
  log: Logger;
  settings: VehicleServicesSettings;
}

/**
 * What the agent does with relayed MAVLink: vehicles and their links (tracker), the hub's
 * live view (telemetry), tlogs at full rate (recorder) and finished flights to the hub
 * (sender). Give `tracker` to DroneManager.addConsumer; it hands each frame on to the others.
 */
export class VehicleServices {
  private constructor(
    readonly tracker: VehicleTracker,
    readonly telemetry: TelemetryDecimator,
    readonly recorder: TlogRecorder,
    readonly sender: FlightLogSender,
  ) {}

  static async open(deps: VehicleServicesDeps): Promise<VehicleServices> {
    const { clock, log, settings: s } = deps;
    const sender = await FlightLogSender.open({ db: deps.db, outbox: deps.outbox, clock, log: log.child({ component: 'flight-log-sender' }) });
    const recorder = new TlogRecorder({
      flights: sender, clock, log: log.child({ component: 'tlog-recorder' }),
      settings: { tlogDir: s.tlogDir, budgetBytes: s.tlogBudgetBytes, preArmMs: s.preArmMs, flightEndAfterLostMs: s.flightEndAfterLostMs },
    });
    const tracker = new VehicleTracker({
      emitEvent: deps.emitEvent, clock, log: log.child({ component: 'vehicles' }),
      ...(s.linkLostMs ? { settings: { linkLostMs: s.linkLostMs } } : {}),
    });
    const telemetry = new TelemetryDecimator({
      sendLive: deps.sendLive, vehicles: tracker, clock, log: log.child({ component: 'telemetry' }),
      ...(s.telemetryIntervalMs ? { settings: { intervalMs: s.telemetryIntervalMs } } : {}),
    });
    tracker.addConsumer(telemetry);
    tracker.addConsumer(recorder);
    return new VehicleServices(tracker, telemetry, recorder, sender);
  }

  /** Start before the relay, so no frame goes unrecorded. */
  async start(): Promise<void> {
    this.sender.start();
    await this.recorder.start();
    this.tracker.start();
    this.telemetry.start();
  }

  /** Stop after the relay: open flights are closed and handed to the sender before it stops. */
  async stop(): Promise<void> {
    await this.tracker.stop();
    await this.telemetry.stop();
    await this.recorder.stop();
    await this.sender.stop();
  }

  /** A fresh hub connection gets the vehicle list at once. */
  pushLive(): void {
    this.telemetry.pushLive();
  }

  /** Vehicles whose link is up (for the agent's status report). */
  get vehiclesUp(): number {
    return this.tracker.vehicles().filter((v) => v.linkUp).length;
  }
}
