// The four ways talking to a camera fails, each a different fix for the operator: check the
// network, the password, the camera's clock, or whether it speaks ONVIF at all.
import type { CameraReason } from '@sargs/shared';

export type CameraErrorKind = 'unreachable' | 'unauthorized' | 'clock-skew' | 'protocol';

export abstract class CameraError extends Error {
  abstract readonly kind: CameraErrorKind;
  /** Health reason for this failure; a protocol failure shows as no-video. */
  abstract readonly reason: CameraReason;
  /** `host:port` of the camera, as the operator typed it. */
  readonly host: string;

  constructor(host: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.host = host;
  }
}

export class CameraUnreachableError extends CameraError {
  readonly kind = 'unreachable';
  readonly reason = 'unreachable';
  constructor(host: string, why: string) {
    super(host, `camera at ${host} is unreachable: ${why}`);
  }
}

export class CameraUnauthorizedError extends CameraError {
  readonly kind = 'unauthorized';
  readonly reason = 'unauthorized';
  constructor(host: string) {
    super(host, `camera at ${host} refused the username or password`);
  }
}

export class CameraClockSkewError extends CameraError {
  readonly kind = 'clock-skew';
  readonly reason = 'clock-skew';
  constructor(host: string, readonly offsetMs: number, limitMs: number) {
    super(host, `camera at ${host} has its clock ${describeOffset(offsetMs)} this gateway's, more than the ` +
      `${Math.round(limitMs / 60_000)} min ONVIF sign-in tolerates; set the camera's time (NTP) first`);
  }
}

export class CameraProtocolError extends CameraError {
  readonly kind = 'protocol';
  readonly reason = 'no-video';
  constructor(host: string, why: string) {
    super(host, `camera at ${host} did not answer like an ONVIF camera: ${why}`);
  }
}

/** The address given is not one a camera could be reached at; a mistake by the caller, not a camera failure. */
export class CameraAddressError extends Error {
  constructor(url: string, why: string) {
    super(`"${url}" is not a camera address: ${why} (expected e.g. http://192.168.1.64/onvif/device_service)`);
    this.name = 'CameraAddressError';
  }
}

export function describeOffset(offsetMs: number): string {
  const abs = Math.abs(offsetMs);
  const amount = abs >= 3_600_000 ? `${(abs / 3_600_000).toFixed(1)} h`
    : abs >= 60_000 ? `${(abs / 60_000).toFixed(1)} min`
      : `${(abs / 1000).toFixed(1)} s`;
  return `${amount} ${offsetMs >= 0 ? 'ahead of' : 'behind'}`;
}

/** What the transport saw of the failed call, beyond the library's error. */
export interface FailureContext {
  host: string;
  /** The ONVIF operation, e.g. `GetProfiles`. */
  operation: string;
  timeoutMs: number;
  status?: number;
  xml?: string;
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the address right and the camera on?)',
  ENOTFOUND: 'its host name could not be resolved',
  EAI_AGAIN: 'its host name could not be resolved (DNS did not answer)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable',
  EHOSTDOWN: 'the host is down',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
  ECONNABORTED: 'the connection was aborted',
};

// ter:NotAuthorized faults word the reason in many ways ("Sender not Authorized", "the sender is not authorized").
const NOT_AUTHORIZED = /NotAuthori[sz]ed|not\s+authori[sz]ed|\bUnauthori[sz]ed\b|Digest authentication failed/i;

/** Maps whatever the onvif library or the socket reported onto one of the four camera errors. */
export function classifyFailure(err: unknown, ctx: FailureContext): CameraError {
  if (err instanceof CameraError) return err;
  const e: NodeJS.ErrnoException = err instanceof Error ? err : new Error(String(err));
  const code = e.code ?? '';
  if (code === RESPONSE_TOO_LARGE) return new CameraProtocolError(ctx.host, `its ${ctx.operation} reply was larger than ${e.message}`);
  const unreachable = UNREACHABLE_CODES[code];
  if (unreachable) return new CameraUnreachableError(ctx.host, unreachable);
  if (e.message === 'Network timeout') return new CameraUnreachableError(ctx.host, `no answer to ${ctx.operation} within ${seconds(ctx.timeoutMs)}`);
  if (ctx.status === 401 || NOT_AUTHORIZED.test(e.message) || (isFault(ctx.xml) && NOT_AUTHORIZED.test(ctx.xml.slice(0, 64 * 1024)))) {
    return new CameraUnauthorizedError(ctx.host);
  }
  return new CameraProtocolError(ctx.host, `its ${ctx.operation} reply ${whatWasWrong(e, ctx.status)}`);
}

function whatWasWrong(e: Error, status: number | undefined): string {
  const http = status !== undefined && status !== 200 ? ` (HTTP ${status})` : '';
  // The library's own wordings, and TypeErrors from it reading elements a reply lacks.
  if (e.message === 'Wrong ONVIF SOAP response') return `is not a SOAP envelope${http}`;
  const fault = /^ONVIF SOAP Fault: ([\s\S]*)$/.exec(e.message);
  if (fault) return `is a SOAP fault: ${brief(fault[1] ?? '')}`;
  if (e instanceof TypeError || e instanceof RangeError) return `lacks the elements ONVIF requires${http}`;
  return `could not be read${http} (${brief(e.message)})`;
}

/** Error code the size-capping socket uses; its message is the limit. */
export const RESPONSE_TOO_LARGE = 'ERR_SARGS_RESPONSE_TOO_LARGE';

export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function isFault(xml: string | undefined): xml is string {
  return xml !== undefined && /<(?:[\w.-]+:)?Fault[\s>]/.test(xml.slice(0, 64 * 1024));
}

/** Library messages can quote the whole reply; keep the sentence short and on one line. */
function brief(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line || 'no details';
}
