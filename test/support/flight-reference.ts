import { parseTlog } from '@sargs/shared/mavlink/tlog';

/**
 * What the flights are, computed by tests from the raw frames and nothing else: armed intervals
 * from the autopilot's HEARTBEAT base_mode, the height above home from GLOBAL_POSITION_INT,
 * and an interval is a flight when it rose at least 2 m.
 */
export function referenceFlights(buf: Buffer): { start: number; end: number; maxHeightM: number }[] {
  const out: { start: number; end: number; maxHeightM: number }[] = [];
  let armedAt: number | undefined;
  let max = -Infinity;
  for (const r of parseTlog(buf).records) {
    const f = r.frame;
    const v2 = f[0] === 0xfd;
    const sys = v2 ? f[5] : f[3];
    const msgid = v2 ? f.readUIntLE(7, 3) : f[5];
    const payload = Buffer.alloc(64);
    f.copy(payload, 0, v2 ? 10 : 6, (v2 ? 10 : 6) + f[1]!);
    const t = Number(r.timeUs) / 1000;
    if (sys !== 1) continue;
    if (msgid === 0) {
      const type = payload[4]!;
      const autopilot = payload[5]!;
      if (autopilot === 8 || type === 6) continue; // no autopilot, or a ground station
      const armed = (payload[6]! & 128) !== 0;
      if (armed && armedAt === undefined) { armedAt = t; max = -Infinity; }
      if (!armed && armedAt !== undefined) { out.push({ start: armedAt, end: t, maxHeightM: max }); armedAt = undefined; }
    } else if (msgid === 33 && armedAt !== undefined) {
      max = Math.max(max, payload.readInt32LE(16) / 1000);
    }
  }
  return out.filter((i) => i.maxHeightM >= 2);
}
