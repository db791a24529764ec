export interface WebhookSettings {
  url: string;
  /** Key for the `X-Sargs-Signature` HMAC-SHA256 of the raw body. */
  secret: string;
}

export interface EmailSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  pass?: string;
  from: string;
  to: string[];
}

export interface AlertSettings {
  /** How long a camera must stay offline before it is an alert. */
  holdDownMs: number;
  /** How long an agent may be disconnected before it counts as lost. */
  agentLostAfterMs: number;
  /** More than `changes` state changes within `windowMs` makes a camera "flapping". */
  flap: { changes: number; windowMs: number };
  /** A recorder restarting for this long, or `repeats` times within `flap.windowMs`, is failing. */
  recorderFailing: { afterMs: number; repeats: number };
  webhooks: WebhookSettings[];
  email?: EmailSettings;
  /** Waits between delivery attempts; the last one repeats until `maxAgeMs` has passed. */
  retry: { backoffMs: number[]; maxAgeMs: number };
}

export type AlertSettingsInput = Partial<Omit<AlertSettings, 'flap' | 'recorderFailing' | 'retry'>> & {
  flap?: Partial<AlertSettings['flap']>;
  recorderFailing?: Partial<AlertSettings['recorderFailing']>;
  retry?: Partial<AlertSettings['retry']>;
};

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  holdDownMs: 10_000,
  agentLostAfterMs: 60_000,
  flap: { changes: 4, windowMs: 5 * 60_000 },
  recorderFailing: { afterMs: 2 * 60_000, repeats: 3 },
  webhooks: [],
  retry: { backoffMs: [1_000, 5_000, 30_000, 120_000, 600_000], maxAgeMs: 24 * 3600_000 },
};

export function resolveAlertSettings(input: AlertSettingsInput = {}): AlertSettings {
  const d = DEFAULT_ALERT_SETTINGS;
  return {
    holdDownMs: input.holdDownMs ?? d.holdDownMs,
    agentLostAfterMs: input.agentLostAfterMs ?? d.agentLostAfterMs,
    flap: { ...d.flap, ...input.flap },
    recorderFailing: { ...d.recorderFailing, ...input.recorderFailing },
    webhooks: input.webhooks ?? d.webhooks,
    email: input.email,
    retry: { ...d.retry, ...input.retry },
  };
}
