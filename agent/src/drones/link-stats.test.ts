import { sealFrame } from '@sargs/shared/mavlink/frame-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PeerInput } from './endpoints/endpoint';
import { LinkStats, SeqGapCounter } from './link-stats';
import { Router } from './router';

/** A sealed v2 HEARTBEAT from sysid/compid with sequence number seq. */
function hb(seq: number, sysid = 1, compid = 1): Buffer {
  const f = Buffer.alloc(10 + 9 + 2);
  f.set([0xfd, 9, 0, 0, seq, sysid, compid, 0, 0, 0]);
  f.set([0, 0, 0, 0, 2, 3, 0x80, 4, 3], 10);
  return sealFrame(f);
}

describe('SeqGapCounter', () => {
  it('sees no gap through a whole wrap of the 8-bit sequence', () => {
    const s = new SeqGapCounter();
    const lost = [];
    for (let i = 0; i < 600; i++) lost.push(s.observe(1, 1, i & 0xff));
    expect(lost.every((n) => n === 0)).toBe(true);
  });

  it('counts the frames missing in a jump, also across the wrap from 254 to 2', () => {
    const s = new SeqGapCounter();
    expect(s.observe(1, 1, 10)).toBe(0);
    expect(s.observe(1, 1, 14)).toBe(3);
    expect(s.observe(1, 1, 254)).toBe(239);
    expect(s.observe(1, 1, 2)).toBe(3); // 255, 0, 1 lost
  });

  it('follows each system and component id on its own', () => {
    const s = new SeqGapCounter();
    expect(s.observe(1, 1, 0)).toBe(0);
    expect(s.observe(1, 190, 100)).toBe(0);
    expect(s.observe(255, 190, 7)).toBe(0);
    expect(s.observe(1, 1, 1)).toBe(0);
    expect(s.observe(1, 190, 101)).toBe(0);
    expect(s.observe(255, 190, 9)).toBe(1);
  });

  it('starts over after a reset: what was never waited for is not lost', () => {
    const s = new SeqGapCounter();
    s.observe(1, 1, 10);
    s.reset();
    expect(s.observe(1, 1, 200)).toBe(0);
  });
});

describe('link counters through a peer', () => {
  it('counts frames, bytes, gaps and lost frames per endpoint, and what it sends', () => {
    const router = new Router({ log: pino({ level: 'silent' }), clock: { now: () => 0 } });
    const stats = new LinkStats();
    const sent: Buffer[] = [];
    const other = new PeerInput(router, { id: 'b', endpoint: 'b', send: (raw) => { sent.push(raw); return true; } }, new LinkStats());
    const input = new PeerInput(router, { id: 'a', endpoint: 'a', send: (raw) => { stats.sent(raw.length); return true; } }, stats);
    const seqs = [250, 251, 252, 255, 0, 1, 5, 6];
    for (const seq of seqs) input.datagram(hb(seq));
    // A second sender on the same link has its own sequence.
    input.datagram(hb(40, 1, 190));
    input.datagram(hb(41, 1, 190));
    expect(sent).toHaveLength(seqs.length + 2);
    other.datagram(hb(0, 255, 190));
    expect(stats.snapshot()).toMatchObject({
      rxFrames: seqs.length + 2, rxBytes: (seqs.length + 2) * 21, seqGaps: 2, seqLost: 2 + 3,
      crcErrors: 0, txFrames: 1, txBytes: 21,
    });
  });
});
