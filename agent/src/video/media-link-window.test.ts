// The live window: once the hub acknowledges live bytes, the agent keeps at most LIVE_WINDOW_BYTES
// of live video unacknowledged on its media link, all calls together, refusing pushes beyond it
// (the live sender then skips to the next keyframe), and sends again as acknowledgements come. A hub
// that never acknowledges live bytes gets live video as before. Here the hub is a bare WebSocket
// server on loopback, so the test decides when acknowledgements go.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { LIVE_WINDOW_BYTES, MEDIA_ID_BYTES } from '@sargs/shared';
import { MediaLink } from './media-link';

const PACKET = 8 * 1024;
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const until = async (what: string, ok: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** An agent's media link to a bare hub; `pushers` live calls push 8 KiB packets as fast as the link takes them. */
async function link(pushers: number) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const media = new MediaLink({ hubUrl: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, enrolmentToken: 'token' }, { log: pino({ level: 'silent' }) });
  const accepted = new Map<string, number>();
  media.handle('live', async (args, reply, signal) => {
    reply.head({ codec: 'avc1.42c01e', width: 320, height: 180, profileToken: args.cameraId });
    while (!signal.aborted) {
      if (reply.push(Buffer.alloc(PACKET, 2))) accepted.set(args.cameraId, (accepted.get(args.cameraId) ?? 0) + PACKET);
      await new Promise((r) => setImmediate(r));
    }
  });
  const [hub] = await Promise.all([once(wss, 'connection') as Promise<[WebSocket]>, Promise.resolve(media.start())]).then(([c]) => c);
  let received = 0;
  const perCall = new Map<string, number>();
  hub.on('message', (d: Buffer, binary: boolean) => {
    if (!binary) return;
    const id = d.subarray(0, MEDIA_ID_BYTES).toString('hex');
    received += d.length - MEDIA_ID_BYTES;
    perCall.set(id, (perCall.get(id) ?? 0) + d.length - MEDIA_ID_BYTES);
  });
  const ids: string[] = [];
  for (let i = 0; i < pushers; i++) {
    const id = (i + 1).toString(16).padStart(32, '0');
    ids.push(id);
    hub.send(JSON.stringify({ t: 'open', id, op: 'live', args: { cameraId: `cam${i}`, stream: 'sub' } }));
  }
  const ack = (id: string, bytes: number) => hub.send(JSON.stringify({ t: 'credit', id, bytes }));
  cleanup.push(async () => { await media.stop(); wss.close(); });
  const total = () => [...accepted.values()].reduce((a, b) => a + b, 0);
  return { ids, ack, total, received: () => received, perCall };
}

describe('media link, live window', () => {
  it('holds live video unacknowledged to the window over all calls, and sends on as acknowledgements come', async () => {
    const l = await link(3);
    // The first acknowledgement tells the agent this hub acknowledges live bytes.
    await until('some live bytes', () => (l.perCall.get(l.ids[0]!) ?? 0) >= PACKET);
    l.ack(l.ids[0]!, PACKET);
    // With nothing more acknowledged, the three calls together stop at the window.
    await until('the window full', () => l.received() >= LIVE_WINDOW_BYTES);
    const full = l.total();
    await new Promise((r) => setTimeout(r, 200)); // a span in which a sender without a window pushes megabytes
    expect(l.total()).toBe(full);
    expect(full).toBeLessThanOrEqual(PACKET + LIVE_WINDOW_BYTES + PACKET * 3);
    expect(l.received()).toBe(full);
    // Acknowledged, the agent sends as much again.
    for (const id of l.ids) l.ack(id, l.perCall.get(id) ?? 0);
    await until('more after the acknowledgements', () => l.total() >= full + LIVE_WINDOW_BYTES - PACKET);
  });

  it('sends live video unbounded by the window to a hub that never acknowledges it', async () => {
    const l = await link(1);
    await until('four windows of live video without an acknowledgement', () => l.received() >= 4 * LIVE_WINDOW_BYTES, 10_000);
  });
});
