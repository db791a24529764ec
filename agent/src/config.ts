import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { checkLightingSetup, type LightingSetup } from '@sargs/shared';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_RECONNECT, DroneEndpointSchema, DroneReconnectSchema, droneEndpointsProblem } from './drones/drone-config';
import type { EndpointConfig, ReconnectSettings } from './drones/endpoints/endpoint';

const ConfigFile = Type.Object({
  hub: Type.Object({
    url: Type.String({ pattern: '^wss?://', description: 'ws:// or wss:// address of the hub' }),
    enrolmentToken: Type.Optional(Type.String({ minLength: 10 })),
    enrolmentTokenFile: Type.Optional(Type.String({ minLength: 1 })),
  }, { additionalProperties: false }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  dataDir: Type.Optional(Type.String({ minLength: 1 })),
  statusIntervalS: Type.Optional(Type.Number({ minimum: 1, maximum: 3600 })),
  logLevel: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)))),
  recordings: Type.Optional(Type.Object({
    dir: Type.Optional(Type.String({ minLength: 1 })),
    segmentSeconds: Type.Optional(Type.Integer({ minimum: 2, maximum: 3600 })),
  }, { additionalProperties: false })),
  retention: Type.Optional(Type.Object({
    maxAgeHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366 })),
    minFreePercent: Type.Optional(Type.Number({ minimum: 0, maximum: 90 })),
    /** Why footage is kept longer than 72 h (GDPR storage limitation; EDPB Guidelines 3/2019). */
    purpose: Type.Optional(Type.String({ minLength: 10, maxLength: 1000 })),
  }, { additionalProperties: false })),
  credentialsKeyFile: Type.Optional(Type.String({ minLength: 1 })),
  health: Type.Optional(Type.Object({
    probeIntervalS: Type.Optional(Type.Number({ minimum: 1, maximum: 3600 })),
    /** While video flows a check only watches clock drift and password changes: every 5 minutes by default. */
    onlineProbeIntervalS: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
    stallMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 60_000 })),
  }, { additionalProperties: false })),
  /** MAVLink: the endpoints the agent relays between (drones/drone-config.ts); other drone settings join this object. */
  drones: Type.Optional(Type.Object({
    endpoints: Type.Optional(Type.Array(DroneEndpointSchema, { maxItems: 32 })),
    reconnect: Type.Optional(DroneReconnectSchema),
    /** Where tlogs are recorded (default <dataDir>/tlogs) and their disk budget in MB (default 2048). */
    tlogDir: Type.Optional(Type.String({ minLength: 1 })),
    tlogBudgetMB: Type.Optional(Type.Number({ minimum: 16, maximum: 16 * 1024 * 1024 })),
    /** Seconds of frames before arming kept at the start of a flight's tlog (default 30). */
    preArmSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 600 })),
    /** A flight whose link stays lost this long is closed and sent (default 120 s). */
    flightEndAfterLostS: Type.Optional(Type.Number({ minimum: 5, maximum: 86_400 })),
  }, { additionalProperties: false })),
  /** DMX outputs, fixtures, scenes and schedules; checked by checkLightingSetup (shared/src/protocol/lighting.ts). */
  lighting: Type.Optional(Type.Unknown()),
}, { additionalProperties: false });
type ConfigFile = Static<typeof ConfigFile>;
const check = TypeCompiler.Compile(ConfigFile);

export interface AgentConfig {
  hubUrl: string;
  enrolmentToken: string;
  name: string;
  dataDir: string;
  statusIntervalMs: number;
  logLevel: string;
  recordingsDir: string;
  segmentSeconds: number;
  retention: { maxAgeHours: number; minFreePercent: number; purpose?: string };
  credentialsKeyFile: string;
  probeIntervalMs: number;
  onlineProbeIntervalMs: number;
  stallMs: number;
  drones: {
    endpoints: EndpointConfig[]; reconnect: ReconnectSettings;
    tlogDir: string; tlogBudgetBytes: number; preArmMs: number; flightEndAfterLostMs: number;
  };
  lighting?: LightingSetup;
}

export class ConfigError extends Error {}

/**
 * Reads and validates the agent's configuration file (YAML or JSON). Every problem is
 * reported with the key that holds it. The enrolment token may come from the file, a
 * file it names, or SARGS_ENROLMENT_TOKEN, so it need not sit in a world-readable config.
 */
export function loadAgentConfig(path: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  return parseAgentConfig(raw, dirname(resolve(path)), env, path);
}

export function parseAgentConfig(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv = {}, source = 'configuration'): AgentConfig {
  if (!check.Check(raw)) {
    const e = check.Errors(raw).First();
    const key = e?.path ? e.path.slice(1).replaceAll('/', '.') : '(top level)';
    throw new ConfigError(`${source}: bad value at "${key}": ${e?.message ?? 'invalid'}`);
  }
  const c: ConfigFile = raw;
  let token = env.SARGS_ENROLMENT_TOKEN ?? c.hub.enrolmentToken;
  if (!token && c.hub.enrolmentTokenFile) {
    try {
      token = readFileSync(resolve(baseDir, c.hub.enrolmentTokenFile), 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`${source}: cannot read "hub.enrolmentTokenFile": ${(err as Error).message}`);
    }
  }
  if (!token) throw new ConfigError(`${source}: "hub.enrolmentToken" (or "hub.enrolmentTokenFile", or SARGS_ENROLMENT_TOKEN) is required`);
  const maxAgeHours = c.retention?.maxAgeHours ?? 72;
  if (maxAgeHours > 72 && !c.retention?.purpose) {
    throw new ConfigError(`${source}: "retention.maxAgeHours" above 72 needs "retention.purpose" saying why (GDPR storage limitation)`);
  }
  const droneProblem = droneEndpointsProblem(c.drones?.endpoints ?? []);
  if (droneProblem) throw new ConfigError(`${source}: bad value at "${droneProblem.key}": ${droneProblem.message}`);
  const lighting = c.lighting === undefined ? undefined : checkLightingSetup(c.lighting, 'lighting');
  if (lighting && !lighting.ok) throw new ConfigError(`${source}: ${lighting.error}`);
  const dataDir = resolve(baseDir, c.dataDir ?? 'data');
  return {
    hubUrl: c.hub.url,
    enrolmentToken: token,
    name: c.name ?? hostname(),
    dataDir,
    statusIntervalMs: (c.statusIntervalS ?? 5) * 1000,
    logLevel: c.logLevel ?? 'info',
    recordingsDir: resolve(baseDir, c.recordings?.dir ?? resolve(dataDir, 'recordings')),
    segmentSeconds: c.recordings?.segmentSeconds ?? 60,
    retention: { maxAgeHours, minFreePercent: c.retention?.minFreePercent ?? 10, ...(c.retention?.purpose ? { purpose: c.retention.purpose } : {}) },
    credentialsKeyFile: resolve(baseDir, c.credentialsKeyFile ?? resolve(dataDir, 'credentials.key')),
    probeIntervalMs: (c.health?.probeIntervalS ?? 10) * 1000,
    onlineProbeIntervalMs: (c.health?.onlineProbeIntervalS ?? 300) * 1000,
    stallMs: c.health?.stallMs ?? 2000,
    drones: {
      endpoints: c.drones?.endpoints ?? [], reconnect: { ...DEFAULT_RECONNECT, ...c.drones?.reconnect },
      tlogDir: resolve(baseDir, c.drones?.tlogDir ?? resolve(dataDir, 'tlogs')),
      tlogBudgetBytes: Math.round((c.drones?.tlogBudgetMB ?? 2048) * 1024 * 1024),
      preArmMs: (c.drones?.preArmSeconds ?? 30) * 1000,
      flightEndAfterLostMs: (c.drones?.flightEndAfterLostS ?? 120) * 1000,
    },
    ...(lighting?.ok ? { lighting: lighting.setup } : {}),
  };
}
