import type { MissionItem } from '@sargs/shared/survey/mission-items';
import type { Logger } from 'pino';
import type { FrameConsumer } from './frame-consumer';
import {
  decodeMissionFrame, itemFromMessage, itemIntMessage, MAV_MISSION_ACCEPTED, MAV_MISSION_INVALID_SEQUENCE, MAV_MISSION_TYPE_MISSION,
  MavlinkWriter, message, missionResultName, type DecodedMessage,
} from './mission-codec';

/** Where mission frames go and come from: the relay towards one vehicle, or a plain socket in tests. */
export interface MissionPort {
  /** Sends one whole frame; may throw when there is no link to the vehicle at all. */
  send(raw: Buffer): void;
  /** Starts delivering received frames to the consumer; the returned function stops it. */
  subscribe(consumer: FrameConsumer): () => void;
}

export interface MissionTransferSettings {
  /** Who we are on the link: 255/190 is the usual ground-station identity (QGC uses 255/190 too). */
  ourSystemId: number;
  ourComponentId: number;
  /** The vehicle's autopilot component (MAV_COMP_ID_AUTOPILOT1). */
  vehicleComponentId: number;
  /** How long to wait for an answer before sending again (MAVLink and QGC: 1500 ms). */
  timeoutMs: number;
  /** How long to wait for an item we asked for while downloading (MAVLink and QGC: 250 ms). */
  itemTimeoutMs: number;
  /** Resends of one message before giving up (QGC: 5). */
  maxRetries: number;
}

export const DEFAULT_MISSION_TRANSFER: MissionTransferSettings = {
  ourSystemId: 255, ourComponentId: 190, vehicleComponentId: 1, timeoutMs: 1500, itemTimeoutMs: 250, maxRetries: 5,
};

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type MissionFailure = 'rejected' | 'timeout' | 'protocol' | 'unreachable' | 'busy' | 'cancelled';

/** A transfer that did not finish: why, and for which item (when one item is to blame or awaited). */
export class MissionTransferError extends Error {
  constructor(readonly reason: MissionFailure, message: string, readonly item?: number, readonly result?: string) {
    super(message);
    this.name = 'MissionTransferError';
  }
}

export interface TransferOutcome { retries: number; durationMs: number }

type MissionMessage = Exclude<DecodedMessage, { name: 'HEARTBEAT' }>;

/** What one transfer does with each message from the vehicle, and what it waits for when nothing comes. */
interface Step {
  /** Sends the opening message; called once the step is in place to hear the answer. */
  start(): void;
  onMessage(m: MissionMessage): void;
  /** The item a timeout now concerns, and what we are waiting for, in words. */
  waiting(): { item?: number; text: string };
}

interface Ctx {
  /** Sends a message; `progress` marks an answer to the vehicle, which restarts the retry count. */
  send(raw: Buffer, progress: boolean, timeoutMs?: number): void;
  finish(): void;
  fail(err: MissionTransferError): void;
  target: { targetSystem: number; targetComponent: number };
  writer: MavlinkWriter;
}

/**
 * The MAVLink mission protocol as a ground station speaks it. Upload: MISSION_COUNT, then
 * the vehicle asks for each item (MISSION_REQUEST_INT, or legacy MISSION_REQUEST, which the
 * spec says to answer with MISSION_ITEM_INT too) and closes with MISSION_ACK. Download:
 * MISSION_REQUEST_LIST → MISSION_COUNT, then we ask for each item and close with our MISSION_ACK. Every wait lasts `timeoutMs`
 * (`itemTimeoutMs` for a requested item); on silence we send our last message again, up to
 * `maxRetries` times in a row, like QGroundControl. An out-of-sequence complaint
 * (MAV_MISSION_INVALID_SEQUENCE) is recoverable by the spec, so it does not end a transfer.
 * Unlike QGC we also resend the last item when the final ACK is lost: PX4 and our simulated
 * vehicle answer that duplicate with the ACK again, so a lost ACK costs one retry, not the upload.
 */
export class MissionTransfer {
  private readonly settings: MissionTransferSettings;
  private readonly busy = new Set<number>();

  constructor(
    private readonly deps: { port: MissionPort; log: Logger; timers?: Timers; now?: () => number },
    settings: Partial<MissionTransferSettings> = {},
  ) {
    this.settings = { ...DEFAULT_MISSION_TRANSFER, ...settings };
  }

  /** Replaces the vehicle's mission with `items` (item 0 first, as the vehicle will number them). */
  upload(systemId: number, items: readonly MissionItem[], signal?: AbortSignal): Promise<TransferOutcome & { count: number }> {
    return this.run(systemId, 'upload', signal, (ctx) => {
      // The highest item sent: a late duplicate request must not move the blame for a rejection backwards.
      let lastSent: number | undefined;
      return {
        start: () => ctx.send(ctx.writer.encode(message('MISSION_COUNT', { ...ctx.target, count: items.length, missionType: MAV_MISSION_TYPE_MISSION, opaqueId: 0 })), false),
        onMessage: (m) => {
          if (m.name === 'MISSION_REQUEST_INT' || m.name === 'MISSION_REQUEST') {
            if (m.msg.missionType !== MAV_MISSION_TYPE_MISSION) return;
            const seq = m.msg.seq;
            const item = items[seq];
            if (!item) return ctx.fail(new MissionTransferError('protocol', `the vehicle asked for item ${seq} of a ${items.length}-item mission`, seq));
            lastSent = Math.max(lastSent ?? -1, seq);
            ctx.send(ctx.writer.encode(itemIntMessage(item, seq, ctx.target)), true);
          } else if (m.name === 'MISSION_ACK' && m.msg.missionType === MAV_MISSION_TYPE_MISSION && m.msg.type !== MAV_MISSION_INVALID_SEQUENCE) {
            if (m.msg.type !== MAV_MISSION_ACCEPTED) {
              const result = missionResultName(m.msg.type);
              if (lastSent === undefined) return ctx.fail(new MissionTransferError('rejected', `the vehicle refused a mission of ${items.length} items: ${result}`, undefined, result));
              return ctx.fail(new MissionTransferError('rejected', `the vehicle rejected item ${lastSent}: ${result}`, lastSent, result));
            }
            // Before any request, an ACCEPTED can only be a late echo of an earlier transfer.
            if (items.length > 0 && lastSent === undefined) return;
            if (items.length > 0 && lastSent !== items.length - 1) {
              return ctx.fail(new MissionTransferError('protocol', `the vehicle acknowledged the mission before asking for item ${items.length - 1}`, (lastSent ?? -1) + 1));
            }
            ctx.finish();
          }
        },
        waiting: () => lastSent === undefined
          ? { item: items.length > 0 ? 0 : undefined, text: items.length > 0 ? 'its request for item 0' : 'MISSION_ACK for an empty mission' }
          : lastSent === items.length - 1 ? { item: lastSent, text: 'MISSION_ACK after the last item' } : { item: lastSent + 1, text: `its request for item ${lastSent + 1}` },
      };
    }).then((outcome) => ({ ...outcome, count: items.length }));
  }

  /** Reads the vehicle's current mission. */
  download(systemId: number, signal?: AbortSignal): Promise<TransferOutcome & { items: MissionItem[] }> {
    const got: MissionItem[] = [];
    return this.run(systemId, 'download', signal, (ctx) => {
      let total: number | undefined;
      const ack = () => ctx.writer.encode(message('MISSION_ACK', { ...ctx.target, type: MAV_MISSION_ACCEPTED, missionType: MAV_MISSION_TYPE_MISSION, opaqueId: 0 }));
      const requestNext = () => ctx.send(ctx.writer.encode(message('MISSION_REQUEST_INT', { ...ctx.target, seq: got.length, missionType: MAV_MISSION_TYPE_MISSION })), true, this.settings.itemTimeoutMs);
      return {
        start: () => ctx.send(ctx.writer.encode(message('MISSION_REQUEST_LIST', { ...ctx.target, missionType: MAV_MISSION_TYPE_MISSION })), false),
        onMessage: (m) => {
          if (m.msg.missionType !== MAV_MISSION_TYPE_MISSION) return;
          if (m.name === 'MISSION_COUNT' && total === undefined) {
            total = m.msg.count;
            if (total === 0) { ctx.send(ack(), true); return ctx.finish(); }
            requestNext();
          } else if ((m.name === 'MISSION_ITEM_INT' || m.name === 'MISSION_ITEM') && total !== undefined && m.msg.seq === got.length) {
            got.push(itemFromMessage(m.msg, m.name === 'MISSION_ITEM_INT'));
            // The closing ACK is not answered; if it is lost the vehicle just times out its side.
            if (got.length === total) { ctx.send(ack(), true); return ctx.finish(); }
            requestNext();
          } else if (m.name === 'MISSION_ACK' && m.msg.type !== MAV_MISSION_ACCEPTED && m.msg.type !== MAV_MISSION_INVALID_SEQUENCE) {
            const result = missionResultName(m.msg.type);
            ctx.fail(new MissionTransferError('rejected', `the vehicle stopped the download at item ${got.length}: ${result}`, got.length, result));
          }
        },
        waiting: () => (total === undefined ? { text: 'MISSION_COUNT' } : { item: got.length, text: `item ${got.length} of ${total}` }),
      };
    }).then((outcome) => ({ ...outcome, items: got }));
  }

  private run(systemId: number, what: 'upload' | 'download', signal: AbortSignal | undefined, begin: (ctx: Ctx) => Step): Promise<TransferOutcome> {
    const { port, log } = this.deps;
    const timers = this.deps.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    const now = this.deps.now ?? Date.now;
    const { timeoutMs, maxRetries } = this.settings;
    if (this.busy.has(systemId)) return Promise.reject(new MissionTransferError('busy', `a mission transfer with vehicle ${systemId} is already running`));
    if (signal?.aborted) return Promise.reject(new MissionTransferError('cancelled', `mission ${what} cancelled`));
    this.busy.add(systemId);
    const started = now();
    let retries = 0;
    let totalRetries = 0;
    let last: { raw: Buffer; timeoutMs: number } | undefined;
    let timer: unknown;
    let step: Step | undefined;
    let settled = false;

    return new Promise<TransferOutcome>((resolve, reject) => {
      const cleanup = () => {
        settled = true;
        timers.clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        this.busy.delete(systemId);
      };
      const fail = (err: MissionTransferError) => {
        if (settled) return;
        cleanup();
        log.warn({ systemId, item: err.item, reason: err.reason, retries: totalRetries }, `mission ${what} failed: ${err.message}`);
        reject(err);
      };
      const transmit = (raw: Buffer): boolean => {
        try {
          port.send(raw);
          return true;
        } catch (err) {
          fail(new MissionTransferError('unreachable', `mission ${what} failed: ${err instanceof Error ? err.message : String(err)}`));
          return false;
        }
      };
      const onTimeout = () => {
        if (settled || !last || !step) return;
        if (retries >= maxRetries) {
          const w = step.waiting();
          const at = w.item === undefined ? '' : ` at item ${w.item}`;
          return fail(new MissionTransferError('timeout', `mission ${what} failed${at}: no answer from vehicle ${systemId} after ${maxRetries + 1} tries ${last.timeoutMs} ms apart (waiting for ${w.text})`, w.item));
        }
        retries += 1;
        totalRetries += 1;
        if (!transmit(last.raw)) return;
        timer = timers.setTimeout(onTimeout, last.timeoutMs);
      };
      const ctx: Ctx = {
        target: { targetSystem: systemId, targetComponent: this.settings.vehicleComponentId },
        writer: new MavlinkWriter(this.settings.ourSystemId, this.settings.ourComponentId),
        send: (raw, progress, waitMs = timeoutMs) => {
          if (settled) return;
          if (progress) retries = 0;
          last = { raw, timeoutMs: waitMs };
          timers.clearTimeout(timer);
          if (!transmit(raw)) return;
          timer = timers.setTimeout(onTimeout, waitMs);
        },
        finish: () => {
          if (settled) return;
          cleanup();
          const outcome = { retries: totalRetries, durationMs: now() - started };
          log.info({ systemId, ...outcome }, `mission ${what} done`);
          resolve(outcome);
        },
        fail,
      };
      const onAbort = () => fail(new MissionTransferError('cancelled', `mission ${what} cancelled`));
      const consumer: FrameConsumer = {
        handle: (frame) => {
          if (settled || !step || frame.header.sysid !== systemId) return;
          const m = decodeMissionFrame(frame.raw, frame.header);
          if (!m || m.name === 'HEARTBEAT' || !this.addressedToUs(m)) return;
          step.onMessage(m);
        },
      };
      const unsubscribe = port.subscribe(consumer);
      signal?.addEventListener('abort', onAbort, { once: true });
      step = begin(ctx);
      step.start();
    });
  }

  /** Frames for another ground station on the same link are not ours to answer. */
  private addressedToUs(m: MissionMessage): boolean {
    const { targetSystem, targetComponent } = m.msg;
    return (targetSystem === 0 || targetSystem === this.settings.ourSystemId)
      && (targetComponent === 0 || targetComponent === this.settings.ourComponentId);
  }
}
