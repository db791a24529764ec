import { sealFrame } from '@sargs/shared/mavlink/frame-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ReceivedFrame } from './frame-consumer';
import { Router, type Peer, type Route } from './router';

/** A sealed v1 HEARTBEAT from sysid. */
function heartbeat(sysid: number, seq = 0): Buffer {
  const f = Buffer.alloc(6 + 9 + 2);
  f.set([0xfe, 9, seq, sysid, 1, 0]);
  f.set([0, 0, 0, 0, 2, 3, 0x80, 4, 3], 6);
  return sealFrame(f);
}

/** A sealed v2 COMMAND_LONG (id 76) addressed to target; target_system sits at payload offset 30. */
function commandTo(target: number, sysid = 255): Buffer {
  const f = Buffer.alloc(10 + 33 + 2);
  f.set([0xfd, 33, 0, 0, 0, sysid, 190, 76, 0, 0]);
  f.writeUInt16LE(400, 10 + 28); // MAV_CMD_COMPONENT_ARM_DISARM
  f[10 + 30] = target;
  f[10 + 31] = 1;
  return sealFrame(f);
}

function setup(names: string[]): { router: Router; got: Map<string, Buffer[]>; routes: Map<string, Route>; seen: ReceivedFrame[] } {
  let now = 1_000;
  const router = new Router({ log: pino({ level: 'silent' }), clock: { now: () => now++ } });
  const got = new Map<string, Buffer[]>();
  const routes = new Map<string, Route>();
  for (const name of names) {
    got.set(name, []);
    const peer: Peer = { id: name, endpoint: name.split('/')[0] as string, send: (raw) => { got.get(name)?.push(raw); return true; } };
    routes.set(name, router.attach(peer));
  }
  const seen: ReceivedFrame[] = [];
  router.addConsumer({ handle: (f) => seen.push(f) });
  return { router, got, routes, seen };
}

const count = (got: Map<string, Buffer[]>): Record<string, number> => Object.fromEntries([...got].map(([k, v]) => [k, v.length]));

describe('Router', () => {
  it('sends a frame to every other peer and never back to its source', () => {
    const { router, got, routes } = setup(['radio', 'gcs/a', 'gcs/b']);
    router.route(routes.get('radio') as Route, heartbeat(1));
    router.route(routes.get('gcs/a') as Route, heartbeat(255));
    expect(count(got)).toEqual({ radio: 1, 'gcs/a': 1, 'gcs/b': 2 });
    expect(got.get('gcs/a')?.[0]?.equals(heartbeat(1))).toBe(true);
  });

  it('learns which systems live behind which peer and sends addressed frames only there', () => {
    const { router, got, routes } = setup(['radio1', 'radio2', 'gcs']);
    router.route(routes.get('radio1') as Route, heartbeat(1));
    router.route(routes.get('radio2') as Route, heartbeat(2));
    for (const v of got.values()) v.length = 0;
    router.route(routes.get('gcs') as Route, commandTo(2));
    expect(count(got)).toEqual({ radio1: 0, radio2: 1, gcs: 0 });
    // A target nobody has heard of yet goes everywhere but back (a vehicle not yet seen).
    router.route(routes.get('gcs') as Route, commandTo(9));
    expect(count(got)).toEqual({ radio1: 1, radio2: 2, gcs: 0 });
    // target_system 0 is a broadcast.
    router.route(routes.get('gcs') as Route, commandTo(0));
    expect(count(got)).toEqual({ radio1: 2, radio2: 3, gcs: 0 });
    expect(router.systemsByPeer().map((s) => [s.peer.id, s.systems])).toEqual([['radio1', [1]], ['radio2', [2]], ['gcs', [255]]]);
  });

  it('forgets what it learned about a peer that went away', () => {
    const { router, got, routes } = setup(['radio1', 'radio2', 'gcs']);
    router.route(routes.get('radio1') as Route, heartbeat(1));
    router.detach(routes.get('radio1') as Route);
    router.route(routes.get('radio2') as Route, heartbeat(1)); // the vehicle now comes in on the second radio
    for (const v of got.values()) v.length = 0;
    router.route(routes.get('gcs') as Route, commandTo(1));
    expect(got.get('radio2')?.map((f) => f[7])).toEqual([76]);
    expect(got.get('radio1')).toEqual([]);
    expect(router.knownSystems()).toEqual([1, 255]);
  });

  it('sends an injected frame where its system lives, or everywhere when it is not known', () => {
    const { router, got, routes } = setup(['radio1', 'radio2', 'gcs']);
    router.route(routes.get('radio2') as Route, heartbeat(7));
    for (const v of got.values()) v.length = 0;
    expect(router.sendToSystem(7, commandTo(7, 250))).toBe(1);
    expect(count(got)).toEqual({ radio1: 0, radio2: 1, gcs: 0 });
    expect(router.sendToSystem(8, commandTo(8, 250))).toBe(3);
  });

  it('hands every routed frame to the consumers with its header, endpoint and time', () => {
    const { router, routes, seen } = setup(['radio/x', 'gcs']);
    const f = heartbeat(3, 17);
    router.route(routes.get('radio/x') as Route, f);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ endpoint: 'radio', atMs: 1_000, header: { version: 1, sysid: 3, seq: 17, msgid: 0, len: 9, signed: false } });
    expect(seen[0]?.raw.equals(f)).toBe(true);
  });

  it('keeps relaying when a consumer throws', () => {
    const { router, got, routes } = setup(['radio', 'gcs']);
    router.addConsumer({ handle: () => { throw new Error('consumer bug'); } });
    for (let i = 0; i < 20; i++) router.route(routes.get('radio') as Route, heartbeat(1, i));
    expect(got.get('gcs')).toHaveLength(20);
  });
});
