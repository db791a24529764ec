// A battery for flight logs recorded without one. ArduPilot SITL runs with its battery
// monitor off, so its tlogs say "no reading" (SYS_STATUS battery_remaining -1, 0 V) and a
// console replaying them has no battery to show. This fills in a 4S pack draining steadily
// over the log, only where a frame carries no reading, so a real log's battery is never changed.

import { sealFrame } from '@sargs/shared/mavlink/frame-check';
import { MAVLINK_V2_START, type TlogRecord } from '@sargs/shared/mavlink/tlog';

export interface BatteryDrain {
  /** Charge at the log's first record and at its last, in percent. */
  fromPercent: number;
  toPercent: number;
}

export const DEFAULT_DRAIN: BatteryDrain = { fromPercent: 100, toPercent: 40 };

const SYS_STATUS = 1;
const V2_INCOMPAT_SIGNED = 0x01;
// SYS_STATUS payload offsets (common.xml): voltage_battery uint16 mV, battery_remaining int8 %.
const VOLTAGE_OFFSET = 14;
const REMAINING_OFFSET = 30;
const NO_READING = 0xff; // battery_remaining -1
// A 4S LiPo: 4.2 V a cell full, about 3.5 V where a pilot must land.
const FULL_V = 16.8;
const EMPTY_V = 14.0;

/** The records with SYS_STATUS frames that report no battery given one; the others are the same objects. */
export function withSimulatedBattery(records: readonly TlogRecord[], drain: BatteryDrain = DEFAULT_DRAIN): TlogRecord[] {
  const first = records[0]?.timeUs ?? 0n;
  const span = Number((records.at(-1)?.timeUs ?? 0n) - first) || 1;
  return records.map((r) => {
    const share = Number(r.timeUs - first) / span;
    const percent = Math.round(drain.fromPercent + (drain.toPercent - drain.fromPercent) * share);
    const frame = batteryFrame(r.frame, percent);
    return frame ? { ...r, frame } : r;
  });
}

/** A copy of a SYS_STATUS frame with no charge reading, carrying `percent` (and its voltage if none); else undefined. */
function batteryFrame(frame: Buffer, percent: number): Buffer | undefined {
  const v2 = frame[0] === MAVLINK_V2_START;
  const header = v2 ? 10 : 6;
  const msgid = v2 ? frame.readUIntLE(7, 3) : frame[5];
  // A signed frame cannot be re-signed without the key; v2 drops trailing zero bytes, so a
  // payload too short to hold battery_remaining reported 0 %, which is a reading.
  if (msgid !== SYS_STATUS || (v2 && ((frame[2] ?? 0) & V2_INCOMPAT_SIGNED) !== 0)) return undefined;
  if ((frame[1] ?? 0) <= REMAINING_OFFSET || frame[header + REMAINING_OFFSET] !== NO_READING) return undefined;
  const copy = Buffer.from(frame);
  const clamped = Math.min(100, Math.max(0, percent));
  copy.writeInt8(clamped, header + REMAINING_OFFSET);
  // A measured voltage stays (some logs have it without a charge estimate); 0 and UINT16_MAX mean none.
  const mv = copy.readUInt16LE(header + VOLTAGE_OFFSET);
  if (mv === 0 || mv === 0xffff) copy.writeUInt16LE(Math.round((EMPTY_V + (FULL_V - EMPTY_V) * clamped / 100) * 1000), header + VOLTAGE_OFFSET);
  return sealFrame(copy);
}
