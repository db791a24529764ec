import { createHash, createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { DeliveryRecord } from './delivery-store';
import type { EmailSettings, WebhookSettings } from './settings';

/** A failed attempt: the HTTP/SMTP status when the other side answered, else just the reason. */
export class DeliveryFailure extends Error {
  constructor(message: string, readonly status?: number) { super(message); }
}

/** An outside place alerts go to. `send` resolves once the other side has taken the alert. */
export interface Channel {
  readonly name: string;
  send(d: DeliveryRecord): Promise<{ status?: number }>;
  close?(): void;
}

const SEND_TIMEOUT_MS = 10_000;

export const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * How a webhook appears in the delivery log. Many services put the secret in the URL's
 * path (Slack, Teams), so only the origin is shown, with a digest to tell hooks apart.
 */
export function webhookChannelName(url: string): string {
  const digest = createHash('sha256').update(url).digest('hex').slice(0, 8);
  let origin = 'invalid-url';
  try { origin = new URL(url).origin; } catch { /* shown as invalid; the attempts will say why */ }
  return `webhook:${origin}#${digest}`;
}

export class WebhookChannel implements Channel {
  readonly name: string;

  constructor(private readonly cfg: WebhookSettings) {
    this.name = webhookChannelName(cfg.url);
  }

  async send(d: DeliveryRecord): Promise<{ status: number }> {
    // The same body on every retry, so a receiver can drop repeats by X-Sargs-Delivery.
    const body = JSON.stringify({ delivery: d.id, event: 'alert', alert: d.alert });
    let res: Response;
    try {
      res = await fetch(this.cfg.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sargs-delivery': d.id, 'x-sargs-signature': sign(this.cfg.secret, body) },
        body,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new DeliveryFailure(cause ?? (err as Error).message);
    }
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new DeliveryFailure(`HTTP ${res.status}`, res.status);
    return { status: res.status };
  }
}

export class EmailChannel implements Channel {
  readonly name = 'email';
  private readonly transport: Transporter;

  constructor(private readonly cfg: EmailSettings) {
    this.transport = nodemailer.createTransport({
      host: cfg.host, port: cfg.port, secure: cfg.secure,
      auth: cfg.user ? { user: cfg.user, pass: cfg.pass ?? '' } : undefined,
      connectionTimeout: SEND_TIMEOUT_MS, greetingTimeout: SEND_TIMEOUT_MS, socketTimeout: SEND_TIMEOUT_MS,
    });
  }

  async send(d: DeliveryRecord): Promise<{ status?: number }> {
    const a = d.alert;
    const lines = [
      a.detail, '',
      `Severity: ${a.severity}`, `Kind: ${a.kind}`, `Site: ${a.siteId}`,
      ...(a.agentId ? [`Agent: ${a.agentId}`] : []), ...(a.cameraId ? [`Camera: ${a.cameraId}`] : []),
      `Raised: ${a.raisedAt}`, `Alert: ${a.id}`,
    ];
    try {
      await this.transport.sendMail({
        from: this.cfg.from, to: this.cfg.to,
        subject: `[Sargs] ${a.severity.toUpperCase()}: ${a.title}`,
        text: lines.join('\n'),
        headers: { 'X-Sargs-Delivery': d.id, 'X-Sargs-Alert': a.id },
      });
      return { status: 250 };
    } catch (err) {
      const e = err as { message: string; responseCode?: number; code?: string };
      throw new DeliveryFailure(e.code ? `${e.code}: ${e.message}` : e.message, e.responseCode);
    }
  }

  close(): void {
    this.transport.close();
  }
}
