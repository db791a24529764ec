// For tests: MAVLink frames built by hand and the real fixture tlogs as the relay would hand them on.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sealFrame } from '@sargs/shared/mavlink/frame-check';
import { frameHeader, parseTlog, type TlogRecord } from '@sargs/shared/mavlink/tlog';
import { fixturesDir } from './paths';
import type { ReceivedFrame } from '@sargs/agent/drones/frame-consumer';

export const MAV_TYPE = { FIXED_WING: 1, QUADROTOR: 2, GCS: 6, ONBOARD_CONTROLLER: 18, RADIO: 49 } as const;
export const MAV_AUTOPILOT = { ARDUPILOTMEGA: 3, INVALID: 8, PX4: 12 } as const;

export interface Source { sysid?: number; compid?: number; seq?: number }

export function v2Frame(msgid: number, payload: Buffer, { sysid = 1, compid = 1, seq = 0 }: Source = {}): Buffer {
  const f = Buffer.alloc(10 + payload.length + 2);
  f.writeUInt8(0xfd, 0);
  f.writeUInt8(payload.length, 1);
  f.writeUInt8(seq & 0xff, 4);
  f.writeUInt8(sysid, 5);
  f.writeUInt8(compid, 6);
  f.writeUIntLE(msgid, 7, 3);
  payload.copy(f, 10);
  return sealFrame(f);
}

export function heartbeat(src: Source & { type?: number; autopilot?: number; armed?: boolean; customMode?: number } = {}): Buffer {
  const p = Buffer.alloc(9);
  p.writeUInt32LE(src.customMode ?? 0, 0);
  p.writeUInt8(src.type ?? MAV_TYPE.QUADROTOR, 4);
  p.writeUInt8(src.autopilot ?? MAV_AUTOPILOT.ARDUPILOTMEGA, 5);
  p.writeUInt8(src.armed ? 128 | 81 : 81, 6);
  p.writeUInt8(4, 7);
  p.writeUInt8(3, 8);
  return v2Frame(0, p, src);
}

export function globalPosition(src: Source & { lat: number; lon: number; relAltM?: number; altMslM?: number }): Buffer {
  const p = Buffer.alloc(28);
  p.writeInt32LE(Math.round(src.lat * 1e7), 4);
  p.writeInt32LE(Math.round(src.lon * 1e7), 8);
  p.writeInt32LE(Math.round((src.altMslM ?? 100) * 1000), 12);
  p.writeInt32LE(Math.round((src.relAltM ?? 0) * 1000), 16);
  p.writeUInt16LE(9000, 26);
  return v2Frame(33, p, src);
}

export function received(raw: Buffer, atMs: number, endpoint = 'radio'): ReceivedFrame {
  return { raw, header: frameHeader(raw), endpoint, atMs };
}

export function fixturePath(name: string): string {
  return join(fixturesDir, 'mavlink', name);
}

export const COPTER = 'arducopter-auto-mission-2013-10-13-165851.tlog';
export const VTOL = 'arduplane-vtol-sitl.tlog';

/** A fixture's records, and each as the relay would hand it on (receive time = recorded time). */
export function fixtureFrames(name: string): { records: TlogRecord[]; frames: ReceivedFrame[] } {
  const { records } = parseTlog(readFileSync(fixturePath(name)));
  return { records, frames: records.map((r) => received(r.frame, Number(r.timeUs) / 1000, 'replay')) };
}
