import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  autopilotName, decodeMessage, flightModeName, isArmed, isAutopilotHeartbeat, mavTypeName, MSG_ID, type Heartbeat,
} from '@sargs/shared/mavlink/messages';
import type { VehicleConflictEvent, VehicleLinkEvent } from '@sargs/shared/protocol/drones';
import type { Clock } from '../cameras/types';
import { ComponentLoop, IDLE_SLEEP_MS } from '../util/waker';
import type { FrameConsumer, ReceivedFrame } from './frame-consumer';
import { SequenceTracker } from './sequence-tracker';

/** QGroundControl's threshold; the check runs every checkIntervalMs, so loss is reported within 3.5–3.75 s. */
export const DEFAULT_LINK_LOST_MS = 3500;

export interface VehicleTrackerSettings {
  linkLostMs?: number;
  checkIntervalMs?: number;
  /** A vehicle whose link has been down this long is dropped from the list (default 1 h). */
  forgetAfterMs?: number;
}

/** What the tracker knows about one vehicle; consumers read it, only the tracker writes it. */
export interface Vehicle {
  readonly key: string;
  readonly systemId: number;
  readonly componentId: number;
  readonly autopilot: number;
  readonly type: number;
  readonly autopilotName: string;
  readonly typeName: string;
  /** Endpoint of its latest autopilot heartbeat ('' just after a split, until its next one). */
  readonly endpoint: string;
  readonly linkUp: boolean;
  readonly lastHeartbeatMs: number;
  readonly armed: boolean;
  readonly mode: string;
  readonly conflict: boolean;
  /** Frames from its autopilot, tracked by sequence number (link quality, conflict evidence). */
  readonly seq: SequenceTracker;
}
type Tracked = { -readonly [K in keyof Vehicle]: Vehicle[K] } & { lostReported: boolean };

/** Something fed every relayed frame after the tracker has said which vehicle sent it (if any). */
export interface VehicleFrameConsumer {
  handleVehicleFrame(frame: ReceivedFrame, vehicle: Vehicle | undefined): void;
}

export interface VehicleTrackerDeps {
  emitEvent: (kind: string, data: Record<string, unknown>) => Promise<number>;
  clock: Clock;
  log: Logger;
  settings?: VehicleTrackerSettings;
  consumers?: VehicleFrameConsumer[];
}

export interface VehicleTrackerEvents {
  change: [Vehicle];
}

/** A frame continuing another stream by more than this many steps counts against that stream. */
const CONTINUITY_LIMIT = 64;
/** Backward sequence jumps within SPLIT_WINDOW_MS that show two senders share one system and component id. */
const SPLIT_JUMPS = 3;
const SPLIT_WINDOW_MS = 5000;

/**
 * Tracks vehicles from their autopilot HEARTBEATs and says which vehicle sent each frame.
 *
 * A vehicle is (system id, component id, MAV_AUTOPILOT, MAV_TYPE). Heartbeats of ground
 * stations, radios, companions and payloads (isAutopilotHeartbeat) never create or refresh one.
 * Two vehicles on one system id are never merged, by two rules:
 * - a heartbeat with a different autopilot, type or component id is another vehicle;
 * - the same identity sent by two autopilots interleaves two independent sequence-number
 *   streams: a single MAVLink sender only steps back on reboot (after a silence), while two
 *   interleaved ones step back by more than the 64 frames a duplicated or lagging second path
 *   can explain many times a second. After SPLIT_JUMPS such steps within SPLIT_WINDOW_MS the
 *   next heartbeat starts a second vehicle, and frames go to the vehicle on their endpoint,
 *   then to the one whose sequence they continue.
 * The second vehicle's key is `sys<N>-2`; while two vehicles of one system id are both up
 * each carries `conflict: true` and one `vehicle.conflict` event goes to the hub.
 */
export class VehicleTracker extends EventEmitter<VehicleTrackerEvents> implements FrameConsumer {
  private readonly bySystem = new Map<number, Tracked[]>();
  private settings: Required<VehicleTrackerSettings>;
  private readonly consumers: VehicleFrameConsumer[];
  private readonly loop = new ComponentLoop((signal) => this.run(signal));

  constructor(private readonly deps: VehicleTrackerDeps) {
    super();
    this.settings = normalise(deps.settings);
    this.consumers = deps.consumers ?? [];
  }

  addConsumer(consumer: VehicleFrameConsumer): void { this.consumers.push(consumer); }

  start(): void {
    if (this.loop.running) return;
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  reload(settings: VehicleTrackerSettings): void {
    this.settings = normalise(settings);
    this.loop.wake();
  }

  vehicles(): Vehicle[] {
    return [...this.bySystem.values()].flat();
  }

  handle(frame: ReceivedFrame): void {
    const h = frame.header;
    let vehicle: Tracked | undefined;
    if (h.msgid === MSG_ID.HEARTBEAT) {
      const m = decodeMessage(frame.raw, true); // the relay hands on only frames whose CRC it checked
      if (m?.name === 'HEARTBEAT' && isAutopilotHeartbeat(m)) vehicle = this.heartbeat(frame, m);
    }
    vehicle ??= this.attribute(frame);
    if (vehicle && h.compid === vehicle.componentId) vehicle.seq.note(h.seq, frame.atMs);
    for (const c of this.consumers) c.handleVehicleFrame(frame, vehicle);
  }

  /** One step of the loop: reports links lost, clears conflicts that ended, forgets long-gone vehicles. */
  checkLinks(now = this.deps.clock.now()): void {
    for (const [sysid, list] of this.bySystem) {
      for (const v of list) {
        if (v.linkUp && now - v.lastHeartbeatMs >= this.settings.linkLostMs) {
          v.linkUp = false;
          v.lostReported = true;
          this.deps.log.warn({ vehicle: v.key, endpoint: v.endpoint }, 'vehicle link lost');
          this.linkEvent(v, 'lost');
        }
      }
      const kept = list.filter((v) => v.linkUp || now - v.lastHeartbeatMs < this.settings.forgetAfterMs);
      if (kept.length === 0) this.bySystem.delete(sysid);
      else if (kept.length !== list.length) this.bySystem.set(sysid, kept);
      for (const v of list) if (!kept.includes(v)) this.emit('change', v);
      this.updateConflicts(sysid);
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.checkLinks();
      await this.loop.sleep(this.bySystem.size === 0 ? IDLE_SLEEP_MS : this.settings.checkIntervalMs, signal);
    }
  }

  private heartbeat(frame: ReceivedFrame, hb: Heartbeat): Tracked {
    const list = this.bySystem.get(hb.sysid) ?? [];
    const same = list.filter((v) => v.componentId === hb.compid && v.autopilot === hb.autopilot && v.type === hb.type);
    let v = same.length ? this.pick(same, frame) : undefined;
    if (v && same.length === 1 && v.seq.recentBackJumps(frame.atMs, SPLIT_WINDOW_MS) >= SPLIT_JUMPS) {
      this.deps.log.warn({ vehicle: v.key, endpoint: frame.endpoint }, 'two autopilots interleave heartbeats on one system id');
      v.seq.clearBackJumps();
      // Whichever autopilot sent this heartbeat becomes the new vehicle on this endpoint; the
      // old one keeps its endpoint only if that is a different one.
      if (v.endpoint === frame.endpoint) v.endpoint = '';
      v = undefined;
    }
    if (!v) v = this.add(list, frame, hb);
    const wasUp = v.linkUp;
    const changed = !wasUp || v.armed !== isArmed(hb) || v.mode !== flightModeName(hb);
    v.endpoint = frame.endpoint;
    v.lastHeartbeatMs = frame.atMs;
    v.linkUp = true;
    v.armed = isArmed(hb);
    v.mode = flightModeName(hb);
    if (v.lostReported) {
      v.lostReported = false;
      this.deps.log.info({ vehicle: v.key, endpoint: frame.endpoint }, 'vehicle link back');
      this.linkEvent(v, 'back');
    }
    if (!wasUp) this.updateConflicts(hb.sysid);
    if (changed) this.emit('change', v);
    return v;
  }

  private add(list: Tracked[], frame: ReceivedFrame, hb: Heartbeat): Tracked {
    const keys = new Set(list.map((v) => v.key));
    let key = `sys${hb.sysid}`;
    for (let n = 2; keys.has(key); n++) key = `sys${hb.sysid}-${n}`;
    const v: Tracked = {
      key, systemId: hb.sysid, componentId: hb.compid, autopilot: hb.autopilot, type: hb.type,
      autopilotName: autopilotName(hb.autopilot), typeName: mavTypeName(hb.type), endpoint: frame.endpoint,
      linkUp: false, lastHeartbeatMs: frame.atMs, armed: false, mode: '', conflict: false, seq: new SequenceTracker(), lostReported: false,
    };
    list.push(v);
    const wasIdle = this.bySystem.size === 0;
    this.bySystem.set(hb.sysid, list);
    if (wasIdle) this.loop.wake();
    this.deps.log.info({ vehicle: key, autopilot: v.autopilotName, type: v.typeName, endpoint: frame.endpoint }, 'vehicle seen');
    return v;
  }

  /** Which vehicle sent a frame that is not an autopilot heartbeat: undefined for ground stations and radios. */
  private attribute(frame: ReceivedFrame): Tracked | undefined {
    const list = this.bySystem.get(frame.header.sysid);
    if (!list) return undefined;
    return list.length === 1 ? list[0] : this.pick(list, frame);
  }

  /** Among vehicles of one system id: the one on the frame's endpoint whose sequence the frame continues. */
  private pick(list: Tracked[], frame: ReceivedFrame): Tracked {
    let best = list[0]!;
    let bestScore = Infinity;
    for (const v of list) {
      let score = v.componentId === frame.header.compid ? v.seq.distance(frame.header.seq) : CONTINUITY_LIMIT;
      if (score > CONTINUITY_LIMIT) score = CONTINUITY_LIMIT;
      if (v.endpoint !== frame.endpoint) score += 1000;
      if (!v.linkUp) score += 2000;
      if (score < bestScore || (score === bestScore && v.lastHeartbeatMs > best.lastHeartbeatMs)) {
        best = v;
        bestScore = score;
      }
    }
    return best;
  }

  private updateConflicts(sysid: number): void {
    const list = this.bySystem.get(sysid) ?? [];
    const up = list.filter((v) => v.linkUp);
    const conflict = up.length > 1;
    const started = conflict && up.some((v) => !v.conflict);
    for (const v of list) {
      const c = conflict && v.linkUp;
      if (v.conflict !== c) {
        v.conflict = c;
        this.emit('change', v);
      }
    }
    if (!started) return;
    const detail = `${up.length} vehicles send autopilot heartbeats as system ${sysid}: `
      + up.map((v) => `${v.key} (${v.autopilotName} ${v.typeName}, component ${v.componentId}, via ${v.endpoint})`).join(', ');
    this.deps.log.warn({ systemId: sysid, vehicles: up.map((v) => v.key) }, 'vehicle system id conflict');
    const event: VehicleConflictEvent = { systemId: sysid, detail: detail.slice(0, 512) };
    this.deps.emitEvent('vehicle.conflict', event).catch((err: unknown) => this.deps.log.error({ err }, 'could not queue a vehicle conflict'));
  }

  private linkEvent(v: Tracked, state: VehicleLinkEvent['state']): void {
    const event: VehicleLinkEvent = {
      vehicleKey: v.key, systemId: v.systemId, autopilot: v.autopilotName, vehicleType: v.typeName, state,
      lastHeartbeatAt: new Date(v.lastHeartbeatMs).toISOString(),
    };
    this.emit('change', v);
    this.deps.emitEvent('vehicle.link', event).catch((err: unknown) => this.deps.log.error({ err, vehicle: v.key }, 'could not queue a vehicle link event'));
  }
}

function normalise(s: VehicleTrackerSettings = {}): Required<VehicleTrackerSettings> {
  return {
    linkLostMs: s.linkLostMs ?? DEFAULT_LINK_LOST_MS,
    checkIntervalMs: s.checkIntervalMs ?? 250,
    forgetAfterMs: s.forgetAfterMs ?? 3_600_000,
  };
}
