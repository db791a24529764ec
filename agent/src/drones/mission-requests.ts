import { MAX_MISSION_ITEMS, type MissionItemWire, type RequestErrorCode } from '@sargs/shared';
import type { MissionItem } from '@sargs/shared/survey/mission-items';
import type { Logger } from 'pino';
import { RequestError, type RequestRouter } from '../hub-link/request-router';
import type { DroneManager } from './drone-manager';
import type { MissionFailure, MissionPort, MissionTransfer, MissionTransferSettings } from './mission-transfer';

// The transfer's frame codec is node-mavlink, ~30 MB of memory: loaded when a mission is first moved.
const loadTransfer = (() => {
  let loading: Promise<typeof import('./mission-transfer')> | undefined;
  return () => (loading ??= import('./mission-transfer'));
})();

const CODES: Record<MissionFailure, RequestErrorCode> = {
  rejected: 'protocol', protocol: 'protocol', timeout: 'timeout', unreachable: 'unreachable', busy: 'conflict', cancelled: 'internal',
};

// JSON has no NaN: "unset" params travel as null.
const fromWire = (i: MissionItemWire): MissionItem => ({
  ...i, param1: i.param1 ?? NaN, param2: i.param2 ?? NaN, param3: i.param3 ?? NaN, param4: i.param4 ?? NaN,
});
const nullIfNaN = (n: number) => (Number.isNaN(n) ? null : n);
const toWire = (i: MissionItem): MissionItemWire => ({
  ...i, param1: nullIfNaN(i.param1), param2: nullIfNaN(i.param2), param3: nullIfNaN(i.param3), param4: nullIfNaN(i.param4),
});

/** The relay as seen by one vehicle's transfers: frames go towards its system id, all received frames come back. */
function vehiclePort(drones: Pick<DroneManager, 'sendToSystem' | 'addConsumer' | 'removeConsumer'>, systemId: number): MissionPort {
  return {
    send: (raw) => {
      if (drones.sendToSystem(systemId, raw) === 0) throw new Error(`no MAVLink link is up to reach vehicle ${systemId}`);
    },
    subscribe: (consumer) => {
      drones.addConsumer(consumer);
      return () => drones.removeConsumer(consumer);
    },
  };
}

/**
 * The hub's mission requests: upload a mission to a vehicle behind this agent, or read its
 * current one. One transfer per vehicle at a time (a second is refused as a conflict); a
 * failure keeps the transfer's own words (which item, which MAV_MISSION_RESULT).
 */
export function registerMissionRequests(
  router: RequestRouter,
  drones: Pick<DroneManager, 'sendToSystem' | 'addConsumer' | 'removeConsumer'>,
  log: Logger,
  settings: Partial<MissionTransferSettings> = {},
): void {
  const transfers = new Map<number, MissionTransfer>();
  const transferFor = async (systemId: number) => {
    const { MissionTransfer } = await loadTransfer();
    let t = transfers.get(systemId);
    if (!t) {
      t = new MissionTransfer({ port: vehiclePort(drones, systemId), log: log.child({ systemId }) }, settings);
      transfers.set(systemId, t);
    }
    return t;
  };
  const explain = async (err: unknown): Promise<never> => {
    const { MissionTransferError } = await loadTransfer();
    if (err instanceof MissionTransferError) throw new RequestError(CODES[err.reason], err.message);
    throw err;
  };

  router.on('mission.upload', async ({ systemId, items }) => {
    const r = await (await transferFor(systemId)).upload(systemId, items.map(fromWire)).catch(explain);
    return { count: r.count, retries: r.retries, durationMs: r.durationMs };
  });

  router.on('mission.download', async ({ systemId }) => {
    const r = await (await transferFor(systemId)).download(systemId).catch(explain);
    if (r.items.length > MAX_MISSION_ITEMS) throw new RequestError('protocol', `vehicle ${systemId} holds ${r.items.length} mission items; at most ${MAX_MISSION_ITEMS} can be passed to the hub`);
    return { items: r.items.map(toWire), retries: r.retries, durationMs: r.durationMs };
  });
}
