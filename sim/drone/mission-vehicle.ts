import dgram from 'node:dgram';
import { decodeMissionFrame, MavlinkWriter, message, type DecodedMessage } from '@sargs/agent/drones/mission-codec';
import type { FrameConsumer } from '@sargs/agent/drones/frame-consumer';
import type { MissionPort } from '@sargs/agent/drones/mission-transfer';
import { frameHeader, frameLength } from '@sargs/shared/mavlink/tlog';

/** A mission item exactly as the vehicle stored it: the raw MISSION_ITEM_INT (or MISSION_ITEM) fields. */
export interface StoredItem {
  seq: number; frame: number; command: number; autocontinue: number;
  param1: number; param2: number; param3: number; param4: number;
  x: number; y: number; z: number;
  /** Which message carried it: MISSION_ITEM_INT (x/y scaled integers) or legacy MISSION_ITEM (floats). */
  via: 'int' | 'float';
}

export interface MissionVehicleOptions {
  systemId?: number;
  componentId?: number;
  host?: string;
  /** UDP port to bind (0: any free one, see `port`). */
  port?: number;
  /** Where to send; without it the vehicle answers whoever last sent it a datagram, as an autopilot's UDP port does. */
  peer?: { host: string; port: number };
  /** Share of mission frames lost at random, each way (0–1). */
  dropRate?: number;
  /** Seeds the two loss generators, so a run that fails can be replayed. */
  seed?: number;
  /** Refuse this item of an upload with this MAV_MISSION_RESULT value. */
  reject?: { item: number; result: number };
  /** MAV_AUTOPILOT in its heartbeats: 3 ArduPilot (default), 12 PX4. */
  autopilot?: number;
  /** Autopilot HEARTBEAT period (default 1000 ms; 0: none). */
  heartbeatMs?: number;
  /** Ask again for an item that did not come after this long (ArduPilot re-requests too; default 1000 ms). */
  rerequestMs?: number;
  /** Give up an upload after this long without progress (ArduPilot: 8 s). */
  uploadTimeoutMs?: number;
  /** Ask with legacy MISSION_REQUEST instead of MISSION_REQUEST_INT. */
  legacyRequests?: boolean;
  /** The mission it holds at start. */
  mission?: StoredItem[];
}

/** Seeded PRNG (mulberry32): same seed, same loss pattern. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every whole frame in one datagram (a datagram may carry several). */
function framesOf(datagram: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < datagram.length;) {
    const len = frameLength(datagram, at);
    if (len === undefined || at + len > datagram.length) break;
    out.push(datagram.subarray(at, at + len));
    at += len;
  }
  return out;
}

type Msg = Exclude<DecodedMessage, { name: 'HEARTBEAT' }>;

/**
 * A vehicle that speaks the mission protocol on a real UDP socket, the way an autopilot does:
 * asks for items in order, re-asks when one does not come, answers a resent last item with
 * its ACK again, serves downloads, and sends autopilot heartbeats. It can lose frames at
 * random both ways and refuse a chosen item, so the ground side's retries and error reports
 * are tested against the real thing.
 */
export class MissionVehicle {
  /** The mission it holds (replaced only when an upload completes). */
  mission: StoredItem[];
  readonly stats = { framesIn: 0, framesOut: 0, droppedIn: 0, droppedOut: 0, rerequests: 0 };
  private readonly writer: MavlinkWriter;
  private readonly lossIn: () => number;
  private readonly lossOut: () => number;
  private peer: { host: string; port: number } | undefined;
  private upload: { count: number; next: number; items: StoredItem[]; gcs: { targetSystem: number; targetComponent: number }; since: number } | undefined;
  private lastResult: { seq: number; type: number; gcs: { targetSystem: number; targetComponent: number } } | undefined;
  private rerequestTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout | undefined;

  private constructor(private readonly socket: dgram.Socket, private readonly opts: Required<Omit<MissionVehicleOptions, 'peer' | 'reject' | 'mission'>> & MissionVehicleOptions) {
    this.mission = opts.mission ?? [];
    this.peer = opts.peer;
    this.writer = new MavlinkWriter(opts.systemId, opts.componentId);
    this.lossIn = rng(opts.seed);
    this.lossOut = rng(opts.seed ^ 0x9e3779b9);
    socket.on('message', (datagram, rinfo) => {
      if (!opts.peer) this.peer = { host: rinfo.address, port: rinfo.port };
      for (const raw of framesOf(datagram)) this.receive(raw);
    });
    if (opts.heartbeatMs > 0) this.heartbeat = setInterval(() => this.sendHeartbeat(), opts.heartbeatMs);
  }

  static async start(options: MissionVehicleOptions = {}): Promise<MissionVehicle> {
    const opts = {
      systemId: 1, componentId: 1, host: '127.0.0.1', port: 0, dropRate: 0, seed: 1, autopilot: 3, heartbeatMs: 1000,
      rerequestMs: 1000, uploadTimeoutMs: 8000, legacyRequests: false, ...options,
    };
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.port, opts.host, () => { socket.off('error', reject); resolve(); });
    });
    const vehicle = new MissionVehicle(socket, opts);
    vehicle.sendHeartbeat();
    return vehicle;
  }

  get port(): number {
    return this.socket.address().port;
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    clearTimeout(this.rerequestTimer);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private sendHeartbeat(): void {
    // MAV_TYPE_QUADROTOR, custom mode enabled, MAV_STATE_STANDBY; never lost on purpose.
    this.transmit(this.writer.encode(message('HEARTBEAT', { type: 2, autopilot: this.opts.autopilot, baseMode: 1, customMode: 0, systemStatus: 3, mavlinkVersion: 3 })), false);
  }

  private transmit(raw: Buffer, lossy = true): void {
    if (!this.peer) return;
    if (lossy && this.lossOut() < this.opts.dropRate) { this.stats.droppedOut += 1; return; }
    this.stats.framesOut += 1;
    this.socket.send(raw, this.peer.port, this.peer.host);
  }

  private receive(raw: Buffer): void {
    const m = decodeMissionFrame(raw, frameHeader(raw));
    if (!m || m.name === 'HEARTBEAT') return;
    const { targetSystem, targetComponent } = m.msg;
    if (targetSystem !== this.opts.systemId || (targetComponent !== 0 && targetComponent !== this.opts.componentId)) return;
    if (this.lossIn() < this.opts.dropRate) { this.stats.droppedIn += 1; return; }
    this.stats.framesIn += 1;
    this.handle(m, { targetSystem: m.header.sysid, targetComponent: m.header.compid });
  }

  private handle(m: Msg, gcs: { targetSystem: number; targetComponent: number }): void {
    switch (m.name) {
      case 'MISSION_COUNT': return this.onCount(m.msg.count, gcs);
      case 'MISSION_ITEM_INT': return this.onItem(m.msg, 'int', gcs);
      case 'MISSION_ITEM': return this.onItem(m.msg, 'float', gcs);
      case 'MISSION_REQUEST_LIST':
        return this.transmit(this.writer.encode(message('MISSION_COUNT', { ...gcs, count: this.mission.length, missionType: 0, opaqueId: 0 })));
      case 'MISSION_REQUEST_INT':
      case 'MISSION_REQUEST': {
        // The spec answers both with MISSION_ITEM_INT.
        const item = this.mission[m.msg.seq];
        if (!item) return this.ack(gcs, 13);
        return this.transmit(this.writer.encode(message('MISSION_ITEM_INT', { ...gcs, ...item, current: 0, missionType: 0 })));
      }
      default: return undefined;
    }
  }

  private onCount(count: number, gcs: { targetSystem: number; targetComponent: number }): void {
    // A repeated MISSION_COUNT means our request was lost: ask again rather than start over.
    if (this.upload?.count === count) return this.request();
    if (count === 0) {
      this.mission = [];
      this.lastResult = { seq: -1, type: 0, gcs };
      return this.ack(gcs, 0);
    }
    this.upload = { count, next: 0, items: [], gcs, since: Date.now() };
    this.request();
  }

  private onItem(msg: { seq: number; frame: number; command: number; autocontinue: number; param1: number; param2: number; param3: number; param4: number; x: number; y: number; z: number }, via: 'int' | 'float', gcs: { targetSystem: number; targetComponent: number }): void {
    const up = this.upload;
    if (!up) {
      // The ground station did not hear how the upload ended and sent the last item again.
      if (this.lastResult && msg.seq === this.lastResult.seq) this.ack(gcs, this.lastResult.type);
      return;
    }
    if (msg.seq !== up.next) return this.request();
    const reject = this.opts.reject;
    if (reject && reject.item === msg.seq) return this.finish(msg.seq, reject.result);
    const { seq, frame, command, autocontinue, param1, param2, param3, param4, x, y, z } = msg;
    up.items.push({ seq, frame, command, autocontinue, param1, param2, param3, param4, x, y, z, via });
    up.next += 1;
    up.since = Date.now();
    if (up.next === up.count) {
      this.mission = up.items;
      return this.finish(msg.seq, 0);
    }
    this.request();
  }

  private finish(seq: number, type: number): void {
    const gcs = this.upload!.gcs;
    this.upload = undefined;
    clearTimeout(this.rerequestTimer);
    this.lastResult = { seq, type, gcs };
    this.ack(gcs, type);
  }

  /** Asks for the next item and keeps asking until it comes or the upload times out. */
  private request(): void {
    const up = this.upload;
    if (!up) return;
    clearTimeout(this.rerequestTimer);
    if (Date.now() - up.since > this.opts.uploadTimeoutMs) {
      this.upload = undefined;
      return this.ack(up.gcs, 1);
    }
    const name = this.opts.legacyRequests ? 'MISSION_REQUEST' : 'MISSION_REQUEST_INT';
    this.transmit(this.writer.encode(message(name, { ...up.gcs, seq: up.next, missionType: 0 })));
    this.rerequestTimer = setTimeout(() => { this.stats.rerequests += 1; this.request(); }, this.opts.rerequestMs);
  }

  private ack(gcs: { targetSystem: number; targetComponent: number }, type: number): void {
    this.transmit(this.writer.encode(message('MISSION_ACK', { ...gcs, type, missionType: 0, opaqueId: 0 })));
  }
}

/**
 * The ground side of a plain UDP link to a vehicle, as a MissionPort: lets the mission
 * transfer be tested without the agent's relay in between.
 */
export async function openGroundPort(vehicle: { host?: string; port: number }): Promise<MissionPort & { close(): Promise<void> }> {
  const host = vehicle.host ?? '127.0.0.1';
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => { socket.off('error', reject); resolve(); });
  });
  const consumers = new Set<FrameConsumer>();
  socket.on('message', (datagram) => {
    for (const raw of framesOf(datagram)) {
      const frame = { raw, header: frameHeader(raw), endpoint: 'udp', atMs: Date.now() };
      for (const c of consumers) c.handle(frame);
    }
  });
  return {
    send: (raw) => socket.send(raw, vehicle.port, host),
    subscribe: (consumer) => { consumers.add(consumer); return () => consumers.delete(consumer); },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
