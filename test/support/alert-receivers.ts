import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '@sargs/shared';
import { SMTPServer } from 'smtp-server';

export interface WebhookHit {
  delivery: string;
  signatureValid: boolean;
  body: { delivery: string; event: string; alert: Alert };
  status: number;
}

/**
 * A webhook receiver on loopback that checks X-Sargs-Signature the way an integrator
 * would, and answers with whatever status the test sets (503 plays "down").
 */
export async function webhookReceiver(secret: string, port = 0) {
  const hits: WebhookHit[] = [];
  const state = { status: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
      const got = Buffer.from(String(req.headers['x-sargs-signature'] ?? ''));
      const signatureValid = got.length === expected.length && timingSafeEqual(got, expected);
      hits.push({ delivery: String(req.headers['x-sargs-delivery'] ?? ''), signatureValid, body: JSON.parse(raw.toString()) as WebhookHit['body'], status: state.status });
      res.writeHead(signatureValid ? state.status : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/hooks/sargs`, port: actual, hits, state,
    /** Hits the receiver accepted, i.e. alerts actually delivered. */
    delivered: () => hits.filter((h) => h.signatureValid && h.status < 300),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Undoes RFC 2047 encoded words (=?UTF-8?Q?...?= / ?B?), which nodemailer uses for quotes and non-ASCII. */
export function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) => (enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1')).toString('utf8'));
}

export interface ReceivedMail { from: string; to: string[]; raw: string; subject: string }

/** An SMTP server on loopback (no TLS, no auth) that keeps every message it is given. */
export async function smtpReceiver(port = 0) {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        const headers = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
        const subject = decodeHeader(/^subject: (.*)$/im.exec(headers)?.[1] ?? '');
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, subject });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port, mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
