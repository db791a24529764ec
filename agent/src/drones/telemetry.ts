import type { Logger } from 'pino';
import { decodeMessage, MSG_ID, type DecodedMessage } from '@sargs/shared/mavlink/messages';
import type { VehicleList, VehicleTelemetry } from '@sargs/shared/protocol/drones';
import type { Clock } from '../cameras/types';
import { ComponentLoop, IDLE_SLEEP_MS } from '../util/waker';
import type { ReceivedFrame } from './frame-consumer';
import type { Vehicle, VehicleFrameConsumer } from './vehicles';

export interface TelemetrySettings {
  /** Time between `vehicles` messages (default 500 ms: about 2 Hz per vehicle). */
  intervalMs?: number;
}

export interface TelemetryDeps {
  /** HubLink.sendLive('vehicles', …): false (and nothing kept) when the hub is not connected. */
  sendLive: (list: VehicleList) => boolean | void;
  /** The VehicleTracker: its vehicles, and a `change` event for what arrives with no frame (a link lost). */
  vehicles: VehicleSource;
  clock: Clock;
  log: Logger;
  settings?: TelemetrySettings;
}

export interface VehicleSource {
  vehicles(): Vehicle[];
  on(event: 'change', listener: (v: Vehicle) => void): unknown;
  off(event: 'change', listener: (v: Vehicle) => void): unknown;
}

/** The newest value of each field, by the message that carried it. */
interface Latest {
  position?: Extract<DecodedMessage, { name: 'GLOBAL_POSITION_INT' }>;
  hud?: Extract<DecodedMessage, { name: 'VFR_HUD' }>;
  gps?: Extract<DecodedMessage, { name: 'GPS_RAW_INT' }>;
  status?: Extract<DecodedMessage, { name: 'SYS_STATUS' }>;
  battery?: Extract<DecodedMessage, { name: 'BATTERY_STATUS' }>;
  updatedMs: number;
}

/** The MAVLink messages the live view reads; the rest cost one comparison each. */
const WANTED = new Set<number>([
  MSG_ID.GLOBAL_POSITION_INT, MSG_ID.VFR_HUD, MSG_ID.GPS_RAW_INT, MSG_ID.SYS_STATUS, MSG_ID.BATTERY_STATUS,
]);
const MAX_VEHICLES = 64;

/**
 * The hub's live view of the site's vehicles: keeps only the newest value of each field per
 * vehicle and sends the whole list every intervalMs while anything changed. Lossy by design:
 * when the hub is not connected the message is dropped, nothing is queued, and the next one
 * carries the then-current state.
 */
export class TelemetryDecimator implements VehicleFrameConsumer {
  private readonly latest = new Map<string, Latest>();
  private settings: Required<TelemetrySettings>;
  private dirty = false;
  private readonly loop = new ComponentLoop((signal) => this.run(signal));

  constructor(private readonly deps: TelemetryDeps) {
    this.settings = { intervalMs: deps.settings?.intervalMs ?? 500 };
  }

  start(): void {
    if (this.loop.running) return;
    this.deps.vehicles.on('change', this.markChanged);
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.deps.vehicles.off('change', this.markChanged);
  }

  reload(settings: TelemetrySettings): void {
    this.settings = { intervalMs: settings.intervalMs ?? 500 };
    this.loop.wake();
  }

  private idle = false;

  /** A vehicle's state changed (link, arming, mode, conflict): include it in the next message. */
  readonly markChanged = (): void => {
    this.dirty = true;
    if (this.idle) this.loop.wake();
  };

  handleVehicleFrame(frame: ReceivedFrame, vehicle: Vehicle | undefined): void {
    if (!vehicle) return;
    if (frame.header.msgid !== MSG_ID.HEARTBEAT && !WANTED.has(frame.header.msgid)) return;
    let l = this.latest.get(vehicle.key);
    if (!l) {
      l = { updatedMs: frame.atMs };
      this.latest.set(vehicle.key, l);
    }
    l.updatedMs = frame.atMs;
    this.dirty = true;
    if (frame.header.msgid === MSG_ID.HEARTBEAT) return; // the tracker holds what heartbeats say
    const m = decodeMessage(frame.raw, true); // the relay hands on only frames whose CRC it checked
    switch (m?.name) {
      case 'GLOBAL_POSITION_INT': l.position = m; break;
      case 'VFR_HUD': l.hud = m; break;
      case 'GPS_RAW_INT': l.gps = m; break;
      case 'SYS_STATUS': l.status = m; break;
      // The first battery is the one SYS_STATUS reports; a second pack would overwrite it.
      case 'BATTERY_STATUS': if (m.id === 0) l.battery = m; break;
      default: break;
    }
  }

  /** One step: sends the list if anything changed since the last one. */
  tick(): void {
    if (!this.dirty) return;
    this.pushLive();
  }

  /** Sends the current list now (a fresh hub connection must not wait for a change). */
  pushLive(): void {
    this.dirty = false;
    const vehicles = this.deps.vehicles.vehicles();
    const keys = new Set(vehicles.map((v) => v.key));
    for (const k of this.latest.keys()) if (!keys.has(k)) this.latest.delete(k);
    const list: VehicleList = { vehicles: vehicles.slice(0, MAX_VEHICLES).map((v) => this.describe(v)) };
    try {
      this.deps.sendLive(list);
    } catch (err) {
      this.deps.log.warn({ err }, 'could not send live vehicle telemetry');
    }
  }

  list(): VehicleTelemetry[] {
    return this.deps.vehicles.vehicles().slice(0, MAX_VEHICLES).map((v) => this.describe(v));
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.tick();
      this.idle = this.deps.vehicles.vehicles().length === 0 && !this.dirty;
      await this.loop.sleep(this.idle ? IDLE_SLEEP_MS : this.settings.intervalMs, signal);
    }
  }

  private describe(v: Vehicle): VehicleTelemetry {
    const l = this.latest.get(v.key);
    const now = this.deps.clock.now();
    const t: VehicleTelemetry = {
      vehicleKey: v.key, systemId: v.systemId, autopilot: v.autopilotName.slice(0, 32), vehicleType: v.typeName.slice(0, 32),
      linkUp: v.linkUp, lastHeartbeatAt: iso(v.lastHeartbeatMs), armed: v.armed, mode: v.mode.slice(0, 32),
      updatedAt: iso(Math.max(l?.updatedMs ?? 0, v.lastHeartbeatMs)),
    };
    const p = l?.position;
    if (p && !(p.lat === 0 && p.lon === 0) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180) {
      t.lat = p.lat;
      t.lon = p.lon;
      t.altMslM = round(p.altMsl, 2);
      t.altRelM = round(p.relativeAlt, 2);
    }
    const heading = p?.heading ?? l?.hud?.heading;
    if (heading !== undefined && Number.isFinite(heading)) t.headingDeg = round(((heading % 360) + 360) % 360, 1);
    const speed = l?.hud?.groundSpeed ?? (p ? Math.hypot(p.vx, p.vy) : undefined) ?? l?.gps?.groundSpeed;
    if (speed !== undefined && Number.isFinite(speed)) t.groundSpeedMps = round(Math.max(0, speed), 2);
    const percent = l?.status?.batteryRemaining ?? l?.battery?.batteryRemaining;
    if (percent !== undefined) t.batteryPercent = Math.min(100, Math.max(0, percent));
    const volts = l?.status?.voltage ?? l?.battery?.voltage;
    if (volts !== undefined && volts >= 0) t.batteryVoltageV = round(volts, 2);
    if (l?.gps) {
      t.gpsFix = Math.min(8, l.gps.fixType);
      if (l.gps.satellites !== undefined) t.satellites = l.gps.satellites;
    }
    const quality = v.seq.qualityPercent(now);
    if (quality !== undefined) t.linkQualityPercent = round(quality, 1);
    if (v.conflict) t.conflict = true;
    return t;
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
