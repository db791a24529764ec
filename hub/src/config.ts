import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parse as parseYaml } from 'yaml';
import type { AlertSettingsInput } from './alerts/settings';

const Seconds = Type.Number({ exclusiveMinimum: 0, maximum: 7 * 86_400 });

const HubConfigFile = Type.Object({
  alerts: Type.Optional(Type.Object({
    holdDownS: Type.Optional(Seconds),
    agentLostAfterS: Type.Optional(Seconds),
    webhooks: Type.Optional(Type.Array(Type.Object({
      url: Type.String({ pattern: '^https?://' }),
      /** Or secretEnv: the name of an environment variable holding it. */
      secret: Type.Optional(Type.String({ minLength: 16 })),
      secretEnv: Type.Optional(Type.String({ minLength: 1 })),
    }, { additionalProperties: false }))),
    email: Type.Optional(Type.Object({
      host: Type.String({ minLength: 1 }),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
      secure: Type.Optional(Type.Boolean()),
      user: Type.Optional(Type.String()),
      passwordEnv: Type.Optional(Type.String({ minLength: 1 })),
      from: Type.String({ minLength: 3 }),
      to: Type.Array(Type.String({ minLength: 3 }), { minItems: 1 }),
    }, { additionalProperties: false })),
  }, { additionalProperties: false })),
}, { additionalProperties: false });
type HubConfigFile = Static<typeof HubConfigFile>;
const check = TypeCompiler.Compile(HubConfigFile);

export class HubConfigError extends Error {}

/**
 * The hub's optional configuration file (YAML or JSON): where alerts go. Secrets are
 * named by environment variable, never written in the file, and every mistake names its key.
 */
export function loadHubConfig(path: string, env: NodeJS.ProcessEnv = process.env): { alerts: AlertSettingsInput } {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HubConfigError(`cannot read hub configuration ${path}: ${(err as Error).message}`);
  }
  if (!check.Check(raw)) {
    const e = check.Errors(raw).First();
    throw new HubConfigError(`${path}: bad value at "${e?.path ? e.path.slice(1).replaceAll('/', '.') : '(top level)'}": ${e?.message ?? 'invalid'}`);
  }
  const c: HubConfigFile = raw;
  const a = c.alerts ?? {};
  const secretOf = (w: { secret?: string; secretEnv?: string }, i: number) => {
    const s = w.secret ?? (w.secretEnv ? env[w.secretEnv] : undefined);
    if (!s || s.length < 16) throw new HubConfigError(`${path}: "alerts.webhooks.${i}" needs a secret of at least 16 characters (secret or secretEnv)`);
    return s;
  };
  const email = a.email;
  const pass = email?.passwordEnv ? env[email.passwordEnv] : undefined;
  if (email?.passwordEnv && !pass) throw new HubConfigError(`${path}: "alerts.email.passwordEnv" names ${email.passwordEnv}, which is not set`);
  return {
    alerts: {
      ...(a.holdDownS !== undefined ? { holdDownMs: a.holdDownS * 1000 } : {}),
      ...(a.agentLostAfterS !== undefined ? { agentLostAfterMs: a.agentLostAfterS * 1000 } : {}),
      webhooks: (a.webhooks ?? []).map((w, i) => ({ url: w.url, secret: secretOf(w, i) })),
      ...(email ? {
        email: {
          host: email.host, port: email.port, secure: email.secure ?? email.port === 465, from: email.from, to: email.to,
          ...(email.user ? { user: email.user } : {}), ...(pass ? { pass } : {}),
        },
      } : {}),
    },
  };
}
