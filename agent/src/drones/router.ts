// Routes MAVLink frames between the agent's endpoints the way mavlink-router does: every
// frame goes to every other peer, never back to the one it came from; the system ids heard
// from each peer are learned, so a frame addressed to one system (target_system in its
// payload) goes only where that system lives. Every good frame is also handed to the
// agent's own readers (vehicle tracker, telemetry, tlog recorder) through FrameConsumer.

import { targetSystem } from '@sargs/shared/mavlink/frame-check';
import { frameHeader, MAVLINK_V2_START } from '@sargs/shared/mavlink/tlog';
import type { Logger } from 'pino';
import type { FrameConsumer } from './frame-consumer';

/** Somewhere frames can be sent: a serial port, a UDP peer, one TCP connection. */
export interface Peer {
  /** For logs and reports, e.g. "gcs" or "gcs/127.0.0.1:54012". */
  readonly id: string;
  /** Name of the endpoint (from the configuration) this peer belongs to. */
  readonly endpoint: string;
  /** Sends one whole frame; false when it could not (link down, send queue full). */
  send(raw: Buffer): boolean;
}

/** The router's handle on one attached peer: what it has learned about it. */
export interface Route {
  readonly peer: Peer;
  /** systems[id] = 1 once a frame from system id arrived through this peer. */
  readonly systems: Uint8Array;
}

export interface RouterDeps {
  log: Logger;
  clock: { now(): number };
}

const MAX_CONSUMER_ERROR_LOGS = 10;

export class Router {
  private routes: Route[] = [];
  private consumers: FrameConsumer[] = [];
  private consumerErrors = 0;

  constructor(private readonly deps: RouterDeps) {}

  /** A peer came up (a port opened, a client connected, a datagram from a new address). */
  attach(peer: Peer): Route {
    const route: Route = { peer, systems: new Uint8Array(256) };
    // Copy on write: attach/detach are rare, routing iterates on every frame.
    this.routes = [...this.routes, route];
    return route;
  }

  /** The peer went away; what was learned about it goes with it. */
  detach(route: Route): void {
    this.routes = this.routes.filter((r) => r !== route);
  }

  addConsumer(consumer: FrameConsumer): void {
    this.consumers = [...this.consumers, consumer];
  }

  removeConsumer(consumer: FrameConsumer): void {
    this.consumers = this.consumers.filter((c) => c !== consumer);
  }

  /**
   * A good frame arrived from `from`: learn its system id, forward it, then let the
   * consumers see it. `raw` may be a view into a receive buffer; consumers that keep it
   * beyond the call must copy it.
   */
  route(from: Route, raw: Buffer): void {
    // The sender's system id sits at a fixed offset per version; no header object on the hot path.
    from.systems[raw[raw[0] === MAVLINK_V2_START ? 5 : 3] as number] = 1;
    this.forward(from, raw, targetSystem(raw, 0));
    const consumers = this.consumers;
    if (consumers.length === 0) return;
    const frame = { raw, header: frameHeader(raw), endpoint: from.peer.endpoint, atMs: this.deps.clock.now() };
    for (const consumer of consumers) {
      try {
        consumer.handle(frame);
      } catch (err) {
        // A reader's bug must not stop the relay; say so, but not 100 times a second.
        if (this.consumerErrors++ < MAX_CONSUMER_ERROR_LOGS) this.deps.log.error({ err }, 'a frame consumer failed');
      }
    }
  }

  /**
   * Sends a frame the agent made itself (e.g. a mission upload) towards one vehicle: to
   * the peers where `systemId` has been heard, or to every peer when it has not been heard
   * (yet) anywhere. `raw` must be one whole, valid frame (see sealFrame in
   * shared/mavlink/frame-check.ts). Returns how many peers took it; 0 means no link is up.
   */
  sendToSystem(systemId: number, raw: Buffer): number {
    return this.forward(undefined, raw, systemId);
  }

  /** The system ids learned behind each attached peer. */
  systemsByPeer(): { peer: Peer; systems: number[] }[] {
    return this.routes.map((r) => ({ peer: r.peer, systems: [...r.systems.keys()].filter((id) => r.systems[id] === 1) }));
  }

  /** Every system id heard on any peer. */
  knownSystems(): number[] {
    const all = new Set<number>();
    for (const r of this.routes) r.systems.forEach((seen, id) => { if (seen) all.add(id); });
    return [...all].sort((a, b) => a - b);
  }

  private forward(from: Route | undefined, raw: Buffer, target: number): number {
    const routes = this.routes;
    let sent = 0;
    if (target !== 0) {
      // Addressed: only where the target lives, if it lives anywhere we know.
      let known = false;
      for (const r of routes) {
        if (r.systems[target] !== 1) continue;
        known = true;
        if (r !== from && r.peer.send(raw)) sent++;
      }
      if (known) return sent;
    }
    for (const r of routes) {
      if (r !== from && r.peer.send(raw)) sent++;
    }
    return sent;
  }
}
