// The address a camera reports for its stream or snapshot, made usable from this gateway.
// Cameras report the host they believe they have: a private address from before a DHCP change,
// 0.0.0.0, localhost, an internal name. The host the device service answered on is the one that
// reaches the camera, so it replaces the reported host; the reported port, path and query stay
// (port forwards and vendor paths are the camera's business). Credentials never stay in an
// address: they are added only when ffmpeg starts (ffmpeg-args.ts).
import { CameraProtocolError } from './camera-errors';

export type AddressKind = 'stream' | 'snapshot';

export interface CameraAddress {
  /** What the agent uses: the reached host, the reported port, path and query, no credentials. */
  uri: string;
  /** What the camera reported (credentials removed), only when it differs from `uri`. */
  reported?: string;
}

/** Where the agent reached the camera: the device service URL's host, and `host:port` to name it by. */
export interface ReachedCamera {
  /** Host name or IP literal, IPv6 without brackets. */
  hostname: string;
  /** `host:port`, as camera errors name a camera. */
  label: string;
}

const PROTOCOLS: Record<AddressKind, readonly string[]> = { stream: ['rtsp:', 'rtsps:'], snapshot: ['http:', 'https:'] };
const MAX_URI_LENGTH = 2048;

/**
 * The address to use for what the camera reported. Throws CameraProtocolError (naming the camera)
 * when the report is not a URL of the expected kind.
 */
export function reachableAddress(reported: string, reached: ReachedCamera, kind: AddressKind): CameraAddress {
  const fail = (why: string): CameraProtocolError =>
    new CameraProtocolError(reached.label, `its ${kind} address ${quote(reported)} ${why}`);
  const raw = reported.trim();
  if (raw.length > MAX_URI_LENGTH) throw fail(`is longer than ${MAX_URI_LENGTH} characters`);
  // "rtsp:path" parses as a URL with no host at all: nothing to keep a port or path of.
  if (!/^[a-z][a-z\d+.-]*:\/\//i.test(raw)) throw fail('is not an absolute URL');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw fail('is not a valid URL');
  }
  if (!PROTOCOLS[kind].includes(u.protocol)) throw fail(`is not ${PROTOCOLS[kind].map((p) => `${p}//`).join(' or ')}`);
  u.username = '';
  u.password = '';
  u.hash = '';
  const shown = u.href;
  if (sameHost(u.hostname, reached.hostname)) return { uri: shown };
  u.hostname = reached.hostname.includes(':') ? `[${reached.hostname}]` : reached.hostname;
  return { uri: u.href, reported: shown };
}

/** Case and IP-literal spelling aside (`[::1]` and `::1`, `CAM.local` and `cam.local`). */
function sameHost(a: string, b: string): boolean {
  return canonicalHost(a) === canonicalHost(b);
}

function canonicalHost(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  try {
    return new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}/`).hostname;
  } catch {
    return bare;
  }
}

/** For error messages: short, one line, and without anything that looks like a password. */
function quote(uri: string): string {
  // Up to the last @: a password may itself hold "/" or "@" when the camera did not encode it.
  // eslint-disable-next-line no-control-regex
  const safe = uri.replace(/(\/\/)\S*@/g, '$1').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return JSON.stringify(safe.length > 200 ? `${safe.slice(0, 197)}...` : safe);
}
