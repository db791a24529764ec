import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parse as parseYaml } from 'yaml';

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
  cameras: Type.Optional(Type.Array(Type.Object({
    name: Type.String({ minLength: 1 }),
    onvif: Type.String({ pattern: '^https?://' }),
  }, { additionalProperties: true }))),
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
  cameraCount: number;
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
  return {
    hubUrl: c.hub.url,
    enrolmentToken: token,
    name: c.name ?? hostname(),
    dataDir: resolve(baseDir, c.dataDir ?? 'data'),
    statusIntervalMs: (c.statusIntervalS ?? 5) * 1000,
    logLevel: c.logLevel ?? 'info',
    cameraCount: c.cameras?.length ?? 0,
  };
}
