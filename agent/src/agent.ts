import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AgentEvent } from '@sargs/shared';
import { Level } from 'level';
import pino, { type Logger } from 'pino';
import type { AgentConfig } from './config';
import { HubLink } from './hub-link/hub-link';
import { Outbox } from './hub-link/outbox';
import { AGENT_VERSION } from './version';

export interface AgentOptions {
  config: AgentConfig;
  logger?: Logger;
  now?: () => Date;
  backoff?: { baseMs: number; maxMs: number };
}

/**
 * The site gateway's process: owns the local LevelDB and the link to the hub. Camera,
 * drone and lighting components hang off this as later features land.
 */
export class Agent {
  private constructor(
    readonly config: AgentConfig,
    readonly db: Level<string, unknown>,
    readonly outbox: Outbox,
    readonly link: HubLink,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  static async start(opts: AgentOptions): Promise<Agent> {
    const { config } = opts;
    const log = opts.logger ?? pino({ name: 'agent', level: config.logLevel });
    const now = opts.now ?? (() => new Date());
    mkdirSync(config.dataDir, { recursive: true });
    const db = new Level<string, unknown>(join(config.dataDir, 'agent.db'), { valueEncoding: 'json' });
    await db.open();
    const outbox = await Outbox.open(db);
    const started = Date.now();
    const link = new HubLink({
      hubUrl: config.hubUrl, enrolmentToken: config.enrolmentToken, agentName: config.name, version: AGENT_VERSION,
      hostname: hostname(), statusIntervalMs: config.statusIntervalMs,
      backoffBaseMs: opts.backoff?.baseMs, backoffMaxMs: opts.backoff?.maxMs,
    }, {
      outbox, log: log.child({ component: 'hub-link' }),
      status: () => ({ uptimeS: Math.round((Date.now() - started) / 1000), cameras: 0, drones: 0 }),
    });
    const agent = new Agent(config, db, outbox, link, log, now);
    await agent.emit('agent.started', { version: AGENT_VERSION });
    link.start();
    log.info({ hub: config.hubUrl, dataDir: config.dataDir }, 'agent started');
    return agent;
  }

  /** Queues a fact for the hub; it survives restarts until the hub acknowledges it. */
  emit(kind: string, data: AgentEvent['data']): Promise<number> {
    return this.outbox.enqueue({ kind, at: this.now().toISOString(), data });
  }

  async stop(): Promise<void> {
    await this.link.stop();
    await this.db.close();
    this.log.info('agent stopped');
  }
}
