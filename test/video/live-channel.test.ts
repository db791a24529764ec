// The hub's live channel and viewer on their own, with a fake media call and fake sockets and
// vitest's fake timers: the GOP a new viewer starts from, one upstream for all, the linger after
// the last viewer, retries and their backoff, a restart's init, a slow and a stuck socket.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LivePacket, type MediaHead } from '@sargs/shared';
import { LiveChannel } from '@sargs/hub/video/live-channel';
import { LiveViewer, type LiveSink, type LiveStatus, type LiveStreamInfo } from '@sargs/hub/video/live-viewer';
import type { MediaCall } from '@sargs/hub/video/media-gateway';
import { MediaCallError } from '@sargs/hub/video/media-gateway';

const HEAD: MediaHead<'live'> = { codec: 'avc1.42c01e', width: 640, height: 360, profileToken: 'Profile_1' };
const INIT = Buffer.from('ftyp-moov-A');
const pkt = (flag: number, body: string) => Buffer.concat([Buffer.from([flag]), Buffer.from(body)]);

/** A live call the test drives: head, packets, failure. */
class FakeCall {
  cancelled = false;
  private packet: ((p: Buffer) => void) | undefined;
  private settle!: { head: (h: MediaHead<'live'>) => void; fail: (e: Error) => void };
  readonly handle: MediaCall<'live'>;
  constructor() {
    let headResolve!: (h: MediaHead<'live'>) => void;
    let headReject!: (e: Error) => void;
    let endReject!: (e: Error) => void;
    const head = new Promise<MediaHead<'live'>>((res, rej) => { headResolve = res; headReject = rej; });
    const end = new Promise<Record<string, never>>((_res, rej) => { endReject = rej; });
    head.catch(() => undefined);
    end.catch(() => undefined);
    this.settle = { head: headResolve, fail: (e) => { headReject(e); endReject(e); } };
    this.handle = {
      head, end, body: undefined as never,
      onPacket: (cb) => { this.packet = cb; },
      cancel: () => { this.cancelled = true; this.settle.fail(new MediaCallError('failed', 'cancelled')); },
    };
  }
  async start(init = INIT): Promise<void> {
    this.settle.head(HEAD);
    await Promise.resolve();
    this.send(Buffer.concat([Buffer.from([LivePacket.init]), init]));
  }
  send(p: Buffer): void { this.packet?.(p); }
  fail(code: 'camera-offline' | 'unreachable', message: string): void { this.settle.fail(new MediaCallError(code, message)); }
}

/** A socket whose buffered amount the test sets, and whose writes complete only when told. */
class FakeSocket {
  readyState = 1;
  bufferedAmount = 0;
  terminated = false;
  readonly sent: (Buffer | string)[] = [];
  private readonly pending: (() => void)[] = [];
  send(data: Buffer | string, _opts: unknown, cb: () => void): void { this.sent.push(data); this.pending.push(cb); }
  drain(): void { for (const cb of this.pending.splice(0)) cb(); }
  once(): void { /* close is not simulated */ }
  terminate(): void { this.terminated = true; }
}

class Sink implements LiveSink {
  readonly log: string[] = [];
  status(s: LiveStatus): void { this.log.push(`state:${s.state}${s.reason ? `:${s.reason}` : ''}`); }
  stream(info: LiveStreamInfo, init: Buffer): void { this.log.push(`stream:${info.codec}:${init.toString()}`); }
  fragment(data: Buffer, keyframe: boolean): void { this.log.push(`${keyframe ? 'K' : 'f'}:${data.toString()}`); }
}

describe('live channel', () => {
  let calls: FakeCall[];
  let idle: number;
  const channel = (gopMaxBytes = 1024) => new LiveChannel('cam-1', 'main', {
    agentOf: async () => 'agent-1',
    open: () => { const c = new FakeCall(); calls.push(c); return c.handle; },
    log: { info: () => undefined } as never,
    onIdle: () => { idle++; },
  }, { lingerMs: 5000, retryMs: [1000, 2000, 5000, 10_000], gopMaxBytes });
  const flush = async () => { for (let i = 0; i < 5; i++) await Promise.resolve(); };

  beforeEach(() => { vi.useFakeTimers(); calls = []; idle = 0; });
  afterEach(() => { vi.useRealTimers(); });

  it('opens one upstream for all its viewers and starts a new viewer at the last keyframe', async () => {
    const ch = channel();
    const a = new Sink();
    ch.add(a);
    await flush();
    expect(calls.length).toBe(1);
    await calls[0]!.start();
    for (const [flag, body] of [[LivePacket.keyframe, 'k1'], [0, 'p1'], [LivePacket.keyframe, 'k2'], [0, 'p2'], [0, 'p3']] as const) calls[0]!.send(pkt(flag, body));
    expect(a.log).toEqual(['state:waiting', 'stream:avc1.42c01e:ftyp-moov-A', 'state:playing', 'K:k1', 'f:p1', 'K:k2', 'f:p2', 'f:p3']);
    const b = new Sink();
    ch.add(b);
    expect(b.log).toEqual(['state:playing', 'stream:avc1.42c01e:ftyp-moov-A', 'K:k2', 'f:p2', 'f:p3']);
    calls[0]!.send(pkt(0, 'p4'));
    expect(a.log.at(-1)).toBe('f:p4');
    expect(b.log.at(-1)).toBe('f:p4');
    expect(calls.length).toBe(1);
  });

  it('keeps no GOP past its byte limit: a new viewer then waits for the next keyframe', async () => {
    const ch = channel(10);
    ch.add(new Sink());
    await flush();
    await calls[0]!.start();
    calls[0]!.send(pkt(LivePacket.keyframe, 'key-12345'));
    calls[0]!.send(pkt(0, 'p-12345'));
    const late = new Sink();
    ch.add(late);
    expect(late.log).toEqual(['state:playing', 'stream:avc1.42c01e:ftyp-moov-A']);
  });

  it('cancels the upstream 5 s after the last viewer left, unless one comes back first', async () => {
    const ch = channel();
    const a = new Sink();
    ch.add(a);
    await flush();
    await calls[0]!.start();
    ch.remove(a);
    await vi.advanceTimersByTimeAsync(4000);
    ch.add(a);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls[0]!.cancelled).toBe(false);
    ch.remove(a);
    await vi.advanceTimersByTimeAsync(4900);
    expect(calls[0]!.cancelled).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls[0]!.cancelled).toBe(true);
    expect(idle).toBe(1);
    expect(calls.length).toBe(1);
  });

  it('tells viewers why the upstream failed and retries after 1, 2, 5, 10, 10 s; at once when the agent is back', async () => {
    const ch = channel();
    const b = new Sink();
    ch.add(b);
    await flush();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      calls.at(-1)!.fail(i ? 'unreachable' : 'camera-offline', i ? 'the site agent\'s media link closed' : 'unreachable: Connection refused');
      await flush();
      const before = calls.length;
      let waited = 0;
      while (calls.length === before) { await vi.advanceTimersByTimeAsync(100); await flush(); waited += 100; }
      delays.push(waited);
    }
    expect(delays).toEqual([1000, 2000, 5000, 10_000, 10_000]);
    expect(b.log.slice(0, 2)).toEqual(['state:waiting', 'state:offline:unreachable: Connection refused']);
    expect(b.log.at(-1)).toBe('state:offline:the site agent\'s media link closed');
    // The agent's media link returns: no waiting for the 10 s.
    calls.at(-1)!.fail('unreachable', 'the site agent\'s media link closed');
    await flush();
    const before = calls.length;
    ch.agentConnected('another-agent');
    await flush();
    expect(calls.length).toBe(before);
    ch.agentConnected('agent-1');
    await flush();
    expect(calls.length).toBe(before + 1);
    // Video again: the backoff starts over.
    await calls.at(-1)!.start();
    calls.at(-1)!.send(pkt(LivePacket.keyframe, 'k'));
    expect(b.log.at(-2)).toBe('state:playing');
    calls.at(-1)!.fail('camera-offline', 'stopped');
    await flush();
    const n = calls.length;
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    expect(calls.length).toBe(n + 1);
    ch.stop();
  });

  it('after an upstream restart a viewer hears of a new stream only when the init differs', async () => {
    const ch = channel();
    const ws = new FakeSocket();
    const viewer = new LiveViewer(ws as never);
    const streams = () => ws.sent.filter((d) => typeof d === 'string' && d.includes('"stream"')).length;
    ch.add(viewer);
    await flush();
    await calls[0]!.start();
    calls[0]!.send(pkt(LivePacket.keyframe, 'k1'));
    calls[0]!.fail('camera-offline', 'restarting');
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    await calls[1]!.start();
    calls[1]!.send(pkt(LivePacket.keyframe, 'k2'));
    expect(streams()).toBe(1);
    calls[1]!.fail('camera-offline', 'restarting');
    await vi.advanceTimersByTimeAsync(2000);
    await flush();
    await calls[2]!.start(Buffer.from('ftyp-moov-B'));
    calls[2]!.send(pkt(LivePacket.keyframe, 'k3'));
    expect(streams()).toBe(2);
    expect(ws.sent.filter((d) => typeof d !== 'string').map(String)).toEqual(['ftyp-moov-A', 'k1', 'k2', 'ftyp-moov-B', 'k3']);
    viewer.stop();
    ch.stop();
  });
});

describe('live viewer', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('skips to the next keyframe while its socket holds more than the limit', () => {
    const ws = new FakeSocket();
    const v = new LiveViewer(ws as never, { highWaterBytes: 1000, stuckMs: 5000 });
    const info = { codec: 'avc1.42c01e', width: 1, height: 1 };
    v.stream(info, INIT);
    v.fragment(Buffer.from('p0'), false);
    v.fragment(Buffer.from('k1'), true);
    v.fragment(Buffer.from('p1'), false);
    ws.bufferedAmount = 5000;
    v.fragment(Buffer.from('p2'), false);
    ws.bufferedAmount = 0;
    v.fragment(Buffer.from('p3'), false);
    v.fragment(Buffer.from('k2'), true);
    v.fragment(Buffer.from('p4'), false);
    v.stream(info, INIT);
    expect(ws.sent.map((d) => d.toString())).toEqual(['{"type":"stream","codec":"avc1.42c01e","width":1,"height":1}', 'ftyp-moov-A', 'k1', 'p1', 'k2', 'p4']);
    expect(v.dropped).toBe(3);
    v.stop();
  });

  it('closes a socket that wrote nothing for 5 s while data waited, and not one that is merely idle', async () => {
    const idle = new FakeSocket();
    const vIdle = new LiveViewer(idle as never, { highWaterBytes: 1000, stuckMs: 5000 });
    vIdle.status({ state: 'waiting' });
    idle.drain();
    await vi.advanceTimersByTimeAsync(20_000);
    vIdle.status({ state: 'offline', reason: 'x' });
    await vi.advanceTimersByTimeAsync(3000);
    idle.drain();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(idle.terminated).toBe(false);

    const stuck = new FakeSocket();
    const vStuck = new LiveViewer(stuck as never, { highWaterBytes: 1000, stuckMs: 5000 });
    vStuck.status({ state: 'playing' });
    await vi.advanceTimersByTimeAsync(4500);
    expect(stuck.terminated).toBe(false);
    await vi.advanceTimersByTimeAsync(1500);
    expect(stuck.terminated).toBe(true);
    expect(vStuck.closedAsStuck).toBe(true);
    vIdle.stop();
  });
});
