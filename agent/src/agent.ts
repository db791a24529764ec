import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AgentEvent } from '@sargs/shared';
import { Level } from 'level';
import pino, { type Logger } from 'pino';
import { CameraManager } from './cameras/camera-manager';
import { registerCameraRequests } from './cameras/camera-requests';
import type { RecorderTuning } from './cameras/recorder';
import type { Clock } from './cameras/types';
import type { AgentConfig } from './config';
import { DroneManager } from './drones/drone-manager';
import { registerDroneRequests } from './drones/drone-requests';
import { registerMissionRequests } from './drones/mission-requests';
import { VehicleServices } from './drones/vehicle-services';
import { LightingController } from './lighting/lighting-controller';
import { registerLightingRequests } from './lighting/lighting-requests';
import { HubLink } from './hub-link/hub-link';
import { Outbox } from './hub-link/outbox';
import { RequestRouter } from './hub-link/request-router';
import { AGENT_VERSION } from './version';
import { MediaLink } from './video/media-link';
import { registerVideo } from './video/register';

export interface AgentOptions {
  config: AgentConfig;
  logger?: Logger;
  clock?: Clock;
  backoff?: { baseMs: number; maxMs: number };
  /** Tests shorten the recorder's timeouts. */
  recorderTuning?: Partial<RecorderTuning>;
}

/**
 * The site gateway's process: owns the local LevelDB, the link to the hub and the
 * cameras. Drone and lighting components hang off this as they land.
 */
export class Agent {
  private constructor(
    readonly config: AgentConfig,
    readonly db: Level<string, unknown>,
    readonly outbox: Outbox,
    readonly link: HubLink,
    readonly cameras: CameraManager,
    readonly drones: DroneManager,
    readonly vehicles: VehicleServices,
    readonly lighting: LightingController,
    /** The second WebSocket, for video only; src/video/ registers its handlers on it. */
    readonly media: MediaLink,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  static async start(opts: AgentOptions): Promise<Agent> {
    const { config } = opts;
    const log = opts.logger ?? pino({ name: 'agent', level: config.logLevel });
    const clock = opts.clock ?? { now: () => Date.now() };
    mkdirSync(config.dataDir, { recursive: true });
    const db = new Level<string, unknown>(join(config.dataDir, 'agent.db'), { valueEncoding: 'json' });
    await db.open();
    const outbox = await Outbox.open(db);
    const emitEvent = (kind: string, data: AgentEvent['data']) => outbox.enqueue({ kind, at: new Date(clock.now()).toISOString(), data });
    const router = new RequestRouter(log.child({ component: 'requests' }));
    const started = Date.now();
    let cameras: CameraManager | undefined;
    let vehicles: VehicleServices | undefined;
    const drones = new DroneManager({
      endpoints: config.drones.endpoints, reconnect: config.drones.reconnect, clock, log: log.child({ component: 'drones' }),
    });
    const link = new HubLink({
      hubUrl: config.hubUrl, enrolmentToken: config.enrolmentToken, agentName: config.name, version: AGENT_VERSION,
      hostname: hostname(), statusIntervalMs: config.statusIntervalMs,
      backoffBaseMs: opts.backoff?.baseMs, backoffMaxMs: opts.backoff?.maxMs,
    }, {
      outbox, log: log.child({ component: 'hub-link' }), requests: router,
      status: () => ({ uptimeS: Math.round((Date.now() - started) / 1000), cameras: cameras?.count ?? 0, drones: vehicles?.vehiclesUp ?? 0 }),
    });
    try {
      cameras = await CameraManager.open({
        db, log: log.child({ component: 'cameras' }), clock, emitEvent,
        sendLive: (list) => { link.sendLive('cameras', list); },
        settings: {
          recordingsDir: config.recordingsDir, segmentSeconds: config.segmentSeconds, credentialsKeyFile: config.credentialsKeyFile,
          probeIntervalMs: config.probeIntervalMs, onlineProbeIntervalMs: config.onlineProbeIntervalMs, health: { stallMs: config.stallMs },
          retention: { maxAgeHours: config.retention.maxAgeHours, minFreePercent: config.retention.minFreePercent, ...(config.retention.purpose ? { purpose: config.retention.purpose } : {}) },
        },
        ...(opts.recorderTuning ? { recorderTuning: opts.recorderTuning } : {}),
      });
    } catch (err) {
      await db.close();
      throw err;
    }
    try {
      vehicles = await VehicleServices.open({
        db, outbox, emitEvent, clock, log: log.child({ component: 'drone-telemetry' }),
        sendLive: (list) => link.sendLive('vehicles', list),
        settings: {
          tlogDir: config.drones.tlogDir, tlogBudgetBytes: config.drones.tlogBudgetBytes,
          preArmMs: config.drones.preArmMs, flightEndAfterLostMs: config.drones.flightEndAfterLostMs,
        },
      });
    } catch (err) {
      await cameras.stop();
      await db.close();
      throw err;
    }
    drones.addConsumer(vehicles.tracker);
    registerCameraRequests(router, cameras);
    registerDroneRequests(router, drones);
    registerMissionRequests(router, drones, log.child({ component: 'missions' }));
    const lighting = await LightingController.open({ db, log: log.child({ component: 'lighting' }), clock, emitEvent, ...(config.lighting ? { fileSetup: config.lighting } : {}) });
    registerLightingRequests(router, lighting);
    // Every (re)connection starts with the full camera list: the hub may have missed changes.
    link.on('welcome', () => { cameras?.pushLive(); vehicles?.pushLive(); });
    const media = new MediaLink({
      hubUrl: config.hubUrl, enrolmentToken: config.enrolmentToken, backoffBaseMs: opts.backoff?.baseMs, backoffMaxMs: opts.backoff?.maxMs,
    }, { log: log.child({ component: 'media-link' }) });
    registerVideo({ media, cameras, recordingsDir: config.recordingsDir, log: log.child({ component: 'video' }) });
    const agent = new Agent(config, db, outbox, link, cameras, drones, vehicles, lighting, media, log, clock);
    await agent.emit('agent.started', { version: AGENT_VERSION });
    await cameras.start();
    await vehicles.start();
    await drones.start();
    lighting.start();
    link.start();
    media.start();
    log.info({ hub: config.hubUrl, dataDir: config.dataDir, cameras: cameras.count }, 'agent started');
    return agent;
  }

  /** Queues a fact for the hub; it survives restarts until the hub acknowledges it. */
  emit(kind: string, data: AgentEvent['data']): Promise<number> {
    return this.outbox.enqueue({ kind, at: new Date(this.clock.now()).toISOString(), data });
  }

  async stop(): Promise<void> {
    await this.cameras.stop();
    await this.drones.stop();
    await this.vehicles.stop();
    await this.lighting.stop();
    await this.media.stop();
    await this.link.stop();
    await this.db.close();
    this.log.info('agent stopped');
  }
}
