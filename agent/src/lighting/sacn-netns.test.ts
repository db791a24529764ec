import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNamespace, isRoot } from '../../../test/support/netns';

const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'sacn-netns-probe.ts');

/** E1.31 data packet: root layer, framing layer (universe at 113), DMP layer (start code at 125, channels from 126). */
function decodeE131(p: Buffer) {
  return {
    acnId: p.subarray(4, 16).toString('latin1'), rootVector: p.readUInt32BE(18), framingVector: p.readUInt32BE(40),
    priority: p[108], sequence: p[111], universe: p.readUInt16BE(113), dmpVector: p[117], count: p.readUInt16BE(123),
    startCode: p[125], channels: Array.from(p.subarray(126, 126 + 512)),
  };
}

if (!isRoot) console.warn('sacn-netns: skipped, creating a network namespace needs root');

// sACN is multicast only (the dmx driver cannot be given a unicast address), so it runs where
// multicast cannot leave the machine: a namespace with only loopback.
describe.skipIf(!isRoot)('sACN inside a network namespace', () => {
  let ns: TestNamespace | undefined;
  beforeAll(async () => { ns = await TestNamespace.create('sacn'); });
  afterAll(async () => { await ns?.remove(); });

  it('sends the universe as E1.31 to its multicast group, and keeps resending unchanged data', async () => {
    const res = await ns!.runScript(PROBE, 30_000);
    expect(res.code, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout.trim().split('\n').at(-1) ?? '{}') as { status: string; problem: string | null; target: string; packets: string[] };
    expect(r).toMatchObject({ status: 'up', problem: null, target: '239.255.0.7:5568' });
    expect(r.packets.length).toBeGreaterThanOrEqual(3);
    const decoded = r.packets.map((b) => decodeE131(Buffer.from(b, 'base64')));
    const expected = Array.from({ length: 512 }, (_v, i) => ({ 0: 255, 9: 128, 511: 7 } as Record<number, number>)[i] ?? 0);
    const last = decoded.at(-1)!;
    expect(last).toMatchObject({ acnId: 'ASC-E1.17\0\0\0', rootVector: 4, framingVector: 2, universe: 7, dmpVector: 2, count: 513, startCode: 0 });
    expect(last.channels).toEqual(expected);
    expect(new Set(decoded.map((d) => d.sequence)).size).toBe(decoded.length);
  });
});
