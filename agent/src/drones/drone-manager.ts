// Owns the agent's MAVLink side: the endpoints from the configuration and the router
// between them. Other drone components plug in as FrameConsumers (they see every good
// frame) and send to vehicles through sendToSystem.

import type { Logger } from 'pino';
import { DEFAULT_RECONNECT } from './drone-config';
import { createEndpoint, type Endpoint, type EndpointConfig, type EndpointReport, type ReconnectSettings } from './endpoints/index';
import type { FrameConsumer } from './frame-consumer';
import { Router } from './router';

export interface DroneManagerOptions {
  endpoints: readonly EndpointConfig[];
  log: Logger;
  clock?: { now(): number };
  reconnect?: ReconnectSettings;
}

export class DroneManager {
  readonly router: Router;
  private readonly endpoints: Endpoint[];
  private readonly log: Logger;
  private started = false;

  constructor(opts: DroneManagerOptions) {
    this.log = opts.log;
    const clock = opts.clock ?? { now: () => Date.now() };
    this.router = new Router({ log: opts.log.child({ component: 'mavlink-router' }), clock });
    const reconnect = opts.reconnect ?? DEFAULT_RECONNECT;
    this.endpoints = opts.endpoints.map((config) => createEndpoint(config, {
      router: this.router, clock, reconnect,
      log: opts.log.child({ component: 'mavlink-endpoint', endpoint: config.name, kind: config.kind }),
    }));
  }

  /**
   * Opens every endpoint. Resolves once each has made its first attempt; one that fails
   * (port taken, device missing, nobody listening) keeps retrying in the background and
   * never stops the others or the agent.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all(this.endpoints.map((e) => e.start()));
    const up = this.endpointsUp;
    if (this.endpoints.length > 0) this.log.info({ endpoints: this.endpoints.length, up }, 'mavlink relay started');
  }

  /** Closes every endpoint; resolves once all sockets and ports are closed. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await Promise.all(this.endpoints.map((e) => e.stop()));
  }

  /** Lets an agent component read every good frame the relay receives (see FrameConsumer). */
  addConsumer(consumer: FrameConsumer): void {
    this.router.addConsumer(consumer);
  }

  removeConsumer(consumer: FrameConsumer): void {
    this.router.removeConsumer(consumer);
  }

  /**
   * Sends a frame built by the agent (e.g. MISSION_COUNT) towards vehicle `systemId`: to the
   * endpoint peers where that system id has been heard, else to every peer. `raw` must be one
   * whole frame with a valid CRC (build it, then `sealFrame` from shared/mavlink/frame-check).
   * Returns the number of peers it went to; 0 means no link is up.
   */
  sendToSystem(systemId: number, raw: Buffer): number {
    return this.router.sendToSystem(systemId, raw);
  }

  /** Every endpoint's state and counters, in configuration order. */
  linkStats(): EndpointReport[] {
    return this.endpoints.map((e) => e.report());
  }

  /** Endpoints open and usable right now (the agent's status reports this as `drones`). */
  get endpointsUp(): number {
    let up = 0;
    for (const e of this.endpoints) if (e.report().up) up++;
    return up;
  }

  /** The endpoint with this name, for tests and diagnostics. */
  endpoint(name: string): Endpoint | undefined {
    return this.endpoints.find((e) => e.name === name);
  }
}
