import { EventEmitter } from 'node:events';
import type { LightingOutput } from '@sargs/shared';
import type { Logger } from 'pino';
import type { Clock } from '../cameras/types';
import { artnetDriver, sacnDriver, type ArtnetDriver, type SacnDriver } from './dmx-drivers';

export type OutputStatus = 'starting' | 'up' | 'down';
export const ARTNET_PORT = 6454;
const SACN_PORT = 5568;
/** sACN receivers drop a source after 2.5 s of silence (E1.31 §6.7.1); the dmx driver sends only on change. */
const SACN_KEEPALIVE_MS = 1000;

export interface OutputDeps { clock: Clock; log: Logger }

/**
 * One DMX interface driving one universe. `write` takes channels 1–512 as a 512-byte frame;
 * the interface keeps sending the latest frame. Its health is `status` (+ `problem`), and
 * every change of it is a 'status' event, so the controller can report a missing interface.
 */
export abstract class DmxOutput extends EventEmitter<{ status: [OutputStatus, string | null] }> {
  status: OutputStatus = 'starting';
  problem: string | null = null;
  since: number;
  /** What the interface is sending now (index 0 = channel 1). */
  readonly frame = new Uint8Array(512);

  constructor(readonly spec: LightingOutput, readonly target: string, protected readonly deps: OutputDeps) {
    super();
    this.since = deps.clock.now();
  }

  abstract start(): void;
  /** Resolves when the interface is closed and no timer or socket of it is left. */
  abstract stop(): Promise<void>;
  protected abstract send(changed: Record<number, number>): void;

  write(frame: Uint8Array): void {
    const changed: Record<number, number> = {};
    let any = false;
    for (let i = 0; i < 512; i++) {
      const v = frame[i] ?? 0;
      if (this.frame[i] !== v) { this.frame[i] = v; changed[i + 1] = v; any = true; }
    }
    if (any) this.send(changed);
  }

  protected setStatus(status: OutputStatus, problem: string | null): void {
    if (this.status === status && this.problem === problem) return;
    const was = this.status;
    this.status = status;
    this.problem = problem;
    this.since = this.deps.clock.now();
    if (status === 'down') this.deps.log.warn({ universe: this.spec.universe, target: this.target, problem }, 'DMX interface down');
    else if (status === 'up' && was === 'down') this.deps.log.info({ universe: this.spec.universe, target: this.target }, 'DMX interface back');
    this.emit('status', status, problem);
  }
}

/**
 * Art-Net through the dmx package's driver, which sends the whole universe at `refreshHz`.
 * Added around it: an 'error' listener on its socket (a bind or send failure would otherwise
 * be an uncaught exception), send results as health (the driver ignores them), a sequence
 * number (the driver leaves it 0) and closing the socket on stop (the driver never does).
 */
export class ArtnetOutput extends DmxOutput {
  private driver: ArtnetDriver | undefined;

  constructor(spec: LightingOutput, deps: OutputDeps) {
    super(spec, `${spec.host}:${spec.port ?? ARTNET_PORT}`, deps);
  }

  start(): void {
    if (this.driver) return;
    const d = artnetDriver(this.spec.host ?? '', { universe: this.spec.universe, port: this.spec.port ?? ARTNET_PORT, dmx_speed: this.spec.refreshHz ?? 40 });
    this.driver = d;
    d.universe.set(this.frame, 1);
    d.dev.on('error', (err) => this.setStatus('down', `Art-Net socket failed: ${err.message}`));
    d.dev.on('listening', () => { if (this.status === 'starting') this.setStatus('up', null); });
    const send = d.dev.send.bind(d.dev) as (...args: unknown[]) => void;
    (d.dev as unknown as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
      const done = args.pop() as (err: Error | null) => void;
      send(...args, (err: Error | null) => {
        if (err) this.setStatus('down', `cannot send to ${this.target}: ${err.message}`);
        else if (this.status !== 'up') this.setStatus('up', null);
        done(err);
      });
    };
    // The constructor's timer is bound to the original sendUniverse: restart it on ours.
    d.stop();
    const sendUniverse = d.sendUniverse.bind(d);
    d.sendUniverse = () => {
      if (d.readyToWrite) d.sequence[0] = (d.sequence[0]! % 255) + 1; // 1–255; 0 would switch receivers' reordering off
      sendUniverse();
    };
    d.start();
  }

  protected send(changed: Record<number, number>): void {
    this.driver?.update(changed);
  }

  async stop(): Promise<void> {
    const d = this.driver;
    this.driver = undefined;
    if (!d) return;
    await new Promise<void>((resolve) => d.close(() => resolve()));
    await new Promise<void>((resolve) => { try { d.dev.close(() => resolve()); } catch { resolve(); } });
  }
}

/**
 * sACN (E1.31) through the dmx package's driver: multicast to the universe's group on port
 * 5568 (the driver cannot be given a unicast address or port). Added around it: send failures
 * are caught (the driver drops the promise, so a failure was an unhandled rejection, which ends
 * a Node 20 process) and become health, and a keep-alive resend (the driver sends only on change).
 */
export class SacnOutput extends DmxOutput {
  private driver: SacnDriver | undefined;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(spec: LightingOutput, deps: OutputDeps) {
    super(spec, `239.255.${spec.universe >> 8}.${spec.universe & 255}:${SACN_PORT}`, deps);
  }

  start(): void {
    if (this.driver) return;
    const d = sacnDriver({ universe: this.spec.universe });
    this.driver = d;
    d.sACNServer.socket?.on('error', (err) => this.setStatus('down', `sACN socket failed: ${err.message}`));
    d.sendUniverse = () => {
      d.sACNServer.send({ payload: d.universe }).then(
        () => { if (this.status !== 'up') this.setStatus('up', null); },
        (err: Error) => this.setStatus('down', `cannot send to ${this.target}: ${err.message}`),
      );
    };
    const all: Record<number, number> = {};
    this.frame.forEach((v, i) => { all[i + 1] = v; });
    d.update(all);
    this.keepAlive = setInterval(() => d.sendUniverse(), this.spec.refreshHz ? 1000 / this.spec.refreshHz : SACN_KEEPALIVE_MS);
  }

  protected send(changed: Record<number, number>): void {
    this.driver?.update(changed);
  }

  async stop(): Promise<void> {
    clearInterval(this.keepAlive);
    const d = this.driver;
    this.driver = undefined;
    if (d) await new Promise<void>((resolve) => { try { d.close(() => resolve()); } catch { resolve(); } });
  }
}
