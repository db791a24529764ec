// What every kind of MAVLink endpoint shares: the interface the DroneManager sees, and the
// per-peer input path (frame reader → sequence tracking → router) they all use.

import { backoffDelay } from '@sargs/shared';
import type { Logger } from 'pino';
import { FrameReader } from '../frame-reader';
import { LinkStats, SeqGapCounter, type LinkCounters } from '../link-stats';
import type { Peer, Route, Router } from '../router';

export type EndpointKind = 'serial' | 'udp-server' | 'udp-client' | 'tcp-server' | 'tcp-client';

/** One endpoint from the agent's configuration (config.ts validates it). */
export interface EndpointConfig {
  name: string;
  kind: EndpointKind;
  /** serial: the device path, e.g. /dev/ttyUSB0 or /dev/serial/by-id/... */
  device?: string;
  /** serial: baud rate (default 57600, the usual telemetry radio rate). */
  baud?: number;
  /** Servers: the address to listen on (default 0.0.0.0); clients: where to send or connect. */
  host?: string;
  port?: number;
}

/** How an endpoint is doing, for reports (the `drones.links` request) and status. */
export interface EndpointReport {
  name: string;
  kind: EndpointKind;
  /** Open and usable: port open, socket bound, connection established. */
  up: boolean;
  /** Peers currently attached: UDP addresses heard, TCP connections (1 for serial and clients when up). */
  peers: number;
  /** The last reason it went down or failed to come up, while it is down. */
  error?: string;
  counters: LinkCounters;
}

export interface Endpoint {
  readonly name: string;
  readonly kind: EndpointKind;
  readonly stats: LinkStats;
  /** Opens the endpoint; never rejects: a failure is logged and retried with backoff. */
  start(): Promise<void>;
  /** Closes everything; resolves once sockets and ports are really closed. */
  stop(): Promise<void>;
  report(): EndpointReport;
}

/**
 * What every endpoint kind keeps: its name, counters, reconnect schedule and last error,
 * and the report built from them. A kind says only whether it is up and how many peers it has.
 */
export abstract class EndpointBase<C extends EndpointConfig = EndpointConfig> implements Endpoint {
  abstract readonly kind: EndpointKind;
  readonly name: string;
  readonly stats = new LinkStats();
  protected readonly retry: Retry;
  protected stopped = false;
  protected lastError: string | undefined;

  constructor(protected readonly config: C, protected readonly deps: EndpointDeps) {
    this.name = config.name;
    this.retry = new Retry(deps.reconnect);
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  /** Whether the endpoint is usable now, and how many peers are attached. */
  protected abstract link(): { up: boolean; peers: number };

  report(): EndpointReport {
    const { up, peers } = this.link();
    return {
      name: this.name, kind: this.kind, up, peers,
      ...(!up && this.lastError !== undefined ? { error: this.lastError } : {}),
      counters: this.stats.snapshot(),
    };
  }
}

export interface ReconnectSettings {
  /** First retry delay; doubles per failure up to maxMs (with jitter). */
  baseMs: number;
  maxMs: number;
}

export interface EndpointDeps {
  router: Router;
  /** A child logger named after the endpoint. */
  log: Logger;
  clock: { now(): number };
  reconnect: ReconnectSettings;
}

/**
 * The receiving side of one peer: frames what it sends, counts it and hands good frames to
 * the router. Stream peers (serial, TCP) feed `stream`, UDP peers feed `datagram`.
 */
export class PeerInput {
  readonly route: Route;
  private readonly reader: FrameReader;
  private readonly sequence = new SeqGapCounter();

  constructor(
    private readonly router: Router,
    peer: Peer,
    private readonly stats: LinkStats,
  ) {
    this.route = router.attach(peer);
    const counters = stats.counters;
    this.reader = new FrameReader(counters, (raw) => {
      // Header bytes read directly: sysid, compid and seq sit at fixed offsets per version.
      const v2 = raw[0] === 0xfd;
      const lost = this.sequence.observe(raw[v2 ? 5 : 3] as number, raw[v2 ? 6 : 4] as number, raw[v2 ? 4 : 2] as number);
      if (lost > 0) {
        counters.seqGaps++;
        counters.seqLost += lost;
      }
      this.router.route(this.route, raw);
    });
  }

  stream(chunk: Buffer): void {
    this.reader.pushStream(chunk);
  }

  datagram(datagram: Buffer): void {
    this.reader.pushDatagram(datagram);
  }

  /** The peer went away: forget it in the router and drop any partial frame. */
  close(): void {
    this.reader.reset();
    this.router.detach(this.route);
  }
}

/** An error as one line for logs and reports (the `drones.links` schema allows 512 characters). */
export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}

/** Retries an opening step with growing delays (shared backoff with jitter) until cancelled. */
export class Retry {
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly settings: ReconnectSettings) {}

  /** Runs `step` after the next delay; returns the delay in ms. */
  schedule(step: () => void): number {
    this.cancel();
    const delay = backoffDelay(this.attempt++, this.settings);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      step();
    }, delay);
    return delay;
  }

  /** Opened: the next failure starts from the short delay again. */
  succeeded(): void {
    this.attempt = 0;
  }

  /** How many attempts failed in a row (for quieter logs after the first). */
  get failures(): number {
    return this.attempt;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
