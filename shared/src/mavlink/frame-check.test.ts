import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ardupilotmega, common, icarous, minimal, MSG_ID_MAGIC_NUMBER, standard, uavionix } from 'mavlink-mappings';
import { describe, expect, it } from 'vitest';
import { messageInfo, scanFrame, sealFrame, targetSystem } from './frame-check.ts';
import { parseTlog } from './tlog.ts';
import { fixturesDir } from '../../../test/support/paths';

const fixtures = path.join(fixturesDir, 'mavlink');
const load = (name: string): Buffer => readFileSync(path.join(fixtures, name));

function verdicts(frames: Buffer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of frames) {
    const s = scanFrame(f, 0);
    const k = s.kind === 'frame' && s.length === f.length ? s.verdict : s.kind;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('frame check', () => {
  it('finds every frame of the real tlogs valid (both are MAVLink v1, one from 2013)', () => {
    for (const [name, n] of [['arduplane-vtol-sitl.tlog', 23_894], ['arducopter-auto-mission-2013-10-13-165851.tlog', 16_187]] as const) {
      const frames = parseTlog(load(name)).records.map((r) => r.frame);
      expect(verdicts(frames)).toEqual({ ok: n });
    }
  });

  it('checks the v2 capture except its two message ids no registry knows', () => {
    const raw = load('mavlink-v2-3412-packets.bin');
    const frames: Buffer[] = [];
    for (let at = 0; at < raw.length;) {
      const s = scanFrame(raw, at);
      if (s.kind !== 'frame') throw new Error(`no frame at ${at}`);
      frames.push(raw.subarray(at, at + s.length));
      at += s.length;
    }
    expect(verdicts(frames)).toEqual({ ok: 3398, 'unknown-id': 14 });
  });

  it('uses the CRC_EXTRA of node-mavlink\'s own table for every id it knows', () => {
    let checked = 0;
    for (const [id, extra] of Object.entries(MSG_ID_MAGIC_NUMBER)) {
      const info = messageInfo(Number(id));
      if (info === undefined) continue;
      expect(info.crcExtra, `message ${id}`).toBe(extra);
      checked++;
    }
    expect(checked).toBeGreaterThan(290);
    expect(messageInfo(148)?.crcExtra).toBe(178); // AUTOPILOT_VERSION, now in standard.xml
  });

  it('has a generated table equal to the mavlink-mappings registries (run scripts/gen-mavlink-table.mjs when it is not)', () => {
    for (const registry of [minimal.REGISTRY, standard.REGISTRY, common.REGISTRY, ardupilotmega.REGISTRY, uavionix.REGISTRY, icarous.REGISTRY]) {
      for (const m of Object.values(registry)) {
        const target = m.FIELDS.find((f) => f.source === 'target_system');
        expect(messageInfo(m.MSG_ID), `message ${m.MSG_ID}`).toEqual({
          crcExtra: m.MAGIC_NUMBER, maxLength: m.PAYLOAD_LENGTH, targetSystemOffset: target === undefined || target.extension ? -1 : target.offset,
        });
      }
    }
  });

  it('reads target_system where a message has one, and 0 where it is cut off or absent', () => {
    const cmd = Buffer.alloc(10 + 33 + 2);
    cmd.set([0xfd, 33, 0, 0, 0, 255, 190, 76, 0, 0]);
    cmd[10 + 30] = 7;
    expect(targetSystem(sealFrame(cmd), 0)).toBe(7);
    const trimmed = Buffer.alloc(10 + 20 + 2);
    trimmed.set([0xfd, 20, 0, 0, 0, 255, 190, 76, 0, 0]);
    expect(targetSystem(sealFrame(trimmed), 0)).toBe(0);
    const heartbeat = sealFrame(Buffer.from([0xfe, 9, 0, 1, 1, 0, 0, 0, 0, 0, 2, 3, 0, 4, 3, 0, 0]));
    expect(targetSystem(heartbeat, 0)).toBe(0);
    expect(scanFrame(heartbeat, 0)).toEqual({ kind: 'frame', length: 17, verdict: 'ok' });
  });

  it('judges a too-long known message before its bytes arrive, and waits for an unknown one', () => {
    expect(scanFrame(Buffer.from([0xfe, 200, 0, 1, 1, 0]), 0)).toEqual({ kind: 'frame', length: 208, verdict: 'bad-length' });
    expect(scanFrame(Buffer.from([0xfe, 200, 0, 1, 1, 8]), 0)).toEqual({ kind: 'incomplete', length: 208 });
    expect(scanFrame(Buffer.from([0xfd, 9, 0x02, 0]), 0)).toEqual({ kind: 'invalid' });
  });
});
