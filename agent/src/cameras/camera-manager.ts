import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { CameraHealth, CameraInfo, CameraList, RequestResult } from '@sargs/shared';
import type { Level } from 'level';
import type { Logger } from 'pino';
import { RequestError } from '../hub-link/request-router';
import { CameraRuntime } from './camera-runtime';
import { CameraStore } from './camera-store';
import { decryptSecret, ensureKeyFile, loadCredentialsKey, CREDENTIALS_KEY_ENV } from './credentials';
import { discoverCameras } from './discovery';
import { nodeDiskSpace, type DiskSpace } from './disk-space';
import { DEFAULT_HEALTH, type HealthSettings } from './health';
import { LegalHolds } from './legal-holds';
import { addCamera, type AddCameraInput } from './onboarding';
import type { ProbeOptions, ProbeResult } from './onvif-client';
import { reconcile } from './reconcile';
import { Recorder, type RecorderTuning } from './recorder';
import { RetentionSweeper, type RetentionPolicy } from './retention';
import { SegmentIndex } from './segment-index';
import { snapshot } from './snapshot';
import { storageReport } from './storage-report';
import { systemClock, type CameraRecord, type Clock } from './types';
import { WriteActivityMonitor } from './write-activity';

export interface CameraSettings {
  recordingsDir: string;
  segmentSeconds: number;
  retention: RetentionPolicy;
  credentialsKeyFile: string;
  probeIntervalMs: number;
  /** While video flows: it already shows the camera works (config default 5 minutes). */
  onlineProbeIntervalMs: number;
  health?: Partial<HealthSettings>;
}

export interface CameraManagerDeps {
  db: Level<string, unknown>;
  settings: CameraSettings;
  log: Logger;
  clock?: Clock;
  /** Durable: through the outbox. */
  emitEvent: (kind: string, data: Record<string, unknown>) => Promise<number>;
  /** Lossy: the live camera list for the hub. */
  sendLive: (list: CameraList) => void;
  recorderTuning?: Partial<RecorderTuning>;
  /** Stands in for the ONVIF probe, at onboarding and in the periodic checks. */
  prober?: (opts: ProbeOptions) => Promise<ProbeResult>;
  diskSpace?: DiskSpace;
  env?: NodeJS.ProcessEnv;
}

/** How often each camera's probe schedule is looked at; the probes themselves run every 10–60 s. */
const PROBE_CHECK_MS = 1000;
const STORAGE_REPORT_MS = 10 * 60_000;

/**
 * What the hub may know of a camera: named field by field, so a field added to the record (a
 * secret, say) stays at the site until it is put here on purpose. Addresses carry no credentials.
 */
export function cameraInfo(r: CameraRecord): CameraInfo {
  const optional = {
    manufacturer: r.manufacturer, model: r.model, firmwareVersion: r.firmwareVersion, serialNumber: r.serialNumber,
    encoding: r.encoding, width: r.width, height: r.height, fps: r.fps, clockOffsetMs: r.clockOffsetMs,
  };
  return {
    id: r.id, name: r.name, deviceUrl: r.deviceUrl,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    profiles: r.profiles, mainProfileToken: r.mainProfileToken, subProfileToken: r.subProfileToken,
  };
}

/**
 * The site's cameras: onboarding, one recorder and health tracker each, retention, and
 * what the hub must hear about them (state changes through the outbox, the live list
 * whenever something changes).
 */
export class CameraManager extends EventEmitter<{ health: [CameraHealth] }> {
  private readonly runtimes = new Map<string, CameraRuntime>();
  private probeTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private diskLow = false;
  private livePending = false;
  private readonly clock: Clock;
  /** One poll for every recorder's writes, rather than a wake-up per camera. */
  private readonly activity: WriteActivityMonitor | null;

  private constructor(
    private readonly deps: CameraManagerDeps,
    private readonly key: Buffer,
    readonly store: CameraStore,
    readonly index: SegmentIndex,
    readonly holds: LegalHolds,
    readonly retention: RetentionSweeper,
  ) {
    super();
    this.clock = deps.clock ?? systemClock;
    this.activity = WriteActivityMonitor.supported ? new WriteActivityMonitor(undefined, this.clock) : null;
  }

  static async open(deps: CameraManagerDeps): Promise<CameraManager> {
    const { settings, log } = deps;
    mkdirSync(settings.recordingsDir, { recursive: true });
    const env = deps.env ?? process.env;
    const key = env[CREDENTIALS_KEY_ENV]
      ? await loadCredentialsKey({ env })
      : (await ensureKeyFile(settings.credentialsKeyFile)).key;
    const index = new SegmentIndex(deps.db);
    // Before any recorder writes: orphan files are indexed or quarantined, dangling entries dropped.
    await reconcile(settings.recordingsDir, index, log.child({ component: 'reconcile' }));
    const holds = await LegalHolds.open(deps.db, deps.clock);
    // A policy the hub pushed outlives restarts and wins over the configuration file's.
    const kept = await deps.db.sublevel<string, RetentionPolicy>('settings', { valueEncoding: 'json' }).get('retention');
    const retention = new RetentionSweeper({
      store: index, holds, root: settings.recordingsDir, policy: kept ?? settings.retention, clock: deps.clock ?? systemClock,
      log: log.child({ component: 'retention' }), diskSpace: deps.diskSpace ?? nodeDiskSpace,
    });
    return new CameraManager(deps, key, CameraStore.open(deps.db), index, holds, retention);
  }

  async start(): Promise<void> {
    this.retention.on('disk-low', () => this.setDiskLow(true));
    this.retention.on('disk-ok', () => this.setDiskLow(false));
    this.retention.start();
    for (const rec of await this.store.list()) this.run(rec);
    this.probeTimer = setInterval(() => { for (const rt of this.runtimes.values()) void rt.runProbe(); }, PROBE_CHECK_MS);
    this.reportTimer = setInterval(() => void this.reportStorage(), STORAGE_REPORT_MS);
    void this.reportStorage();
    this.pushLive();
  }

  async stop(): Promise<void> {
    clearInterval(this.probeTimer);
    for (const rt of this.runtimes.values()) rt.stop();
    clearInterval(this.reportTimer);
    await Promise.all([...this.runtimes.values()].map((r) => r.recorder.stop()));
    this.runtimes.clear();
    await this.retention.stop();
  }

  list(): CameraList['cameras'] {
    return [...this.runtimes.values()].map((r) => ({ info: cameraInfo(r.record), health: r.health }));
  }

  get count(): number { return this.runtimes.size; }

  /** Applies a retention policy from the hub (throws RetentionPolicyError if invalid) and keeps it. */
  async setRetention(policy: RetentionPolicy): Promise<RetentionPolicy> {
    this.retention.reload(policy);
    await this.deps.db.sublevel<string, RetentionPolicy>('settings', { valueEncoding: 'json' }).put('retention', policy);
    await this.deps.emitEvent('retention.applied', { policy: { ...policy } });
    return policy;
  }

  async storage() {
    const usage = await (this.deps.diskSpace ?? nodeDiskSpace).usage(this.deps.settings.recordingsDir);
    const cameras = await storageReport(this.index, { now: this.clock.now(), windowHours: 24 });
    return { disk: { ...usage, floorBytes: this.retention.floorBytes(usage.totalBytes) }, policy: this.retention.currentPolicy, cameras };
  }
  get recordingsDir(): string { return this.deps.settings.recordingsDir; }
  get log(): Logger { return this.deps.log; }
  runtime(cameraId: string): CameraRuntime | undefined { return this.runtimes.get(cameraId); }

  /** Onboards (or updates) a camera and starts recording it. Camera errors propagate unchanged. */
  async add(input: AddCameraInput): Promise<CameraRecord> {
    const rec = await addCamera(input, { store: this.store, key: this.key, clock: this.clock, timeoutMs: 5000, ...(this.deps.prober ? { probe: this.deps.prober } : {}) });
    const existing = this.runtimes.get(rec.id);
    if (existing) {
      existing.record = rec;
      existing.recorder.reload({ camera: this.recorderCamera(rec), segmentSeconds: this.deps.settings.segmentSeconds });
    } else {
      this.run(rec);
    }
    await this.deps.emitEvent('camera.added', { camera: cameraInfo(rec) });
    this.pushLive();
    return rec;
  }

  async remove(cameraId: string): Promise<boolean> {
    const rt = this.runtimes.get(cameraId);
    if (rt) {
      rt.stop();
      await rt.recorder.stop();
      this.runtimes.delete(cameraId);
    }
    const removed = await this.store.remove(cameraId);
    if (removed) await this.deps.emitEvent('camera.removed', { cameraId });
    this.pushLive();
    return removed;
  }

  async discover(timeoutMs?: number): Promise<RequestResult<'camera.discover'>> {
    const found = await discoverCameras(timeoutMs ? { timeoutMs } : {});
    const known = new Set([...this.runtimes.values()].map((r) => new URL(r.record.deviceUrl).host));
    return {
      devices: found.map((d) => ({
        endpointReference: d.endpointReference, xaddrs: d.xaddrs, url: d.chosenUrl ?? null,
        added: d.chosenUrl ? known.has(new URL(d.chosenUrl).host) : false,
        ...(d.name ? { name: d.name } : {}), ...(d.hardware ? { hardware: d.hardware } : {}), ...(d.location ? { location: d.location } : {}),
      })),
    };
  }

  /** A current JPEG: the camera's snapshot URI, or a frame from its stream. */
  async snapshot(cameraId: string): Promise<Buffer> {
    const rt = this.runtimes.get(cameraId);
    if (!rt) throw new RequestError('not-found', `no camera "${cameraId}" at this site`);
    const r = rt.record;
    return snapshot({ rtspUrl: r.streamUri, username: r.username, password: decryptSecret(r.passwordEnc, this.key), ...(r.snapshotUri ? { snapshotUri: r.snapshotUri } : {}) }, { log: this.deps.log });
  }

  /**
   * The camera's user name and password in clear, for a second ffmpeg on one of its streams (live
   * view). Like the recorder's, never to be logged or sent anywhere but the camera.
   */
  streamCredentials(cameraId: string): { username: string; password: string } | undefined {
    const rec = this.runtimes.get(cameraId)?.record;
    return rec && { username: rec.username, password: decryptSecret(rec.passwordEnc, this.key) };
  }

  private recorderCamera(rec: CameraRecord) {
    return { id: rec.id, streamUri: rec.streamUri, username: rec.username, password: decryptSecret(rec.passwordEnc, this.key) };
  }

  private run(rec: CameraRecord): void {
    const log = this.deps.log.child({ cameraId: rec.id });
    const recorder = new Recorder({
      camera: this.recorderCamera(rec), segmentSeconds: this.deps.settings.segmentSeconds, root: this.deps.settings.recordingsDir,
      index: this.index, log, clock: this.clock, activity: this.activity, ...(this.deps.recorderTuning ? { tuning: this.deps.recorderTuning } : {}),
    });
    const rt = new CameraRuntime(rec, recorder, () => decryptSecret(rec.passwordEnc, this.key), {
      clock: this.clock, log, health: { ...DEFAULT_HEALTH, ...this.deps.settings.health }, probeIntervalMs: this.deps.settings.probeIntervalMs, onlineProbeIntervalMs: this.deps.settings.onlineProbeIntervalMs,
      diskLow: () => this.diskLow, onChange: (h) => this.healthChanged(h),
      ...(this.deps.prober ? { prober: this.deps.prober } : {}),
    });
    recorder.on('segment', () => {
      this.retention.segmentWritten().catch((err: unknown) => log.warn({ err }, 'checking free space failed'));
    });
    this.runtimes.set(rec.id, rt);
    recorder.start();
    void rt.runProbe(true);
  }

  private setDiskLow(low: boolean): void {
    if (this.diskLow === low) return;
    this.diskLow = low;
    for (const rt of this.runtimes.values()) rt.assess();
  }

  private healthChanged(h: CameraHealth): void {
    this.emit('health', h);
    this.deps.emitEvent('camera.state', { ...h }).catch((err: unknown) => this.deps.log.error({ err }, 'could not queue a camera state change'));
    // Several cameras changing in one moment (a switch losing power) make one live push.
    if (this.livePending) return;
    this.livePending = true;
    queueMicrotask(() => { this.livePending = false; this.pushLive(); });
  }

  pushLive(): void {
    this.deps.sendLive({ cameras: this.list() });
  }

  private async reportStorage(): Promise<void> {
    try {
      const report = await storageReport(this.index, { now: this.clock.now(), windowHours: 24 });
      await this.deps.emitEvent('storage.report', { cameras: report });
    } catch (err) {
      this.deps.log.warn({ err }, 'storage report failed');
    }
  }
}
