// WS-Discovery through the `onvif` package: one multicast Probe, then what answered within the window.
// Cameras answer with several addresses (link-local, 0.0.0.0, a stale DHCP lease): all are reported,
// and one that is usable and, where it matters, answers on TCP is chosen.
import { connect, isIPv4, isIPv6 } from 'node:net';
import onvif from 'onvif';

export interface DiscoveredCamera {
  /** `urn:uuid:…`, stable across address changes: the device's identity on the network. */
  endpointReference: string;
  /** Every XAddr the device reported, in its order. */
  xaddrs: string[];
  /** The device service URL to use, or undefined when none of the XAddrs is usable. */
  chosenUrl?: string;
  name?: string;
  hardware?: string;
  location?: string;
}

export interface DiscoverOptions {
  /** How long to collect answers. */
  timeoutMs?: number;
  /** Decides between several usable XAddrs; false: take the first in preference order without trying. */
  checkReachable?: false | ((url: URL) => Promise<boolean>);
}

const MAX_TEXT = 128;
const REACH_TIMEOUT_MS = 800;

export async function discoverCameras(opts: DiscoverOptions = {}): Promise<DiscoveredCamera[]> {
  const found = await probe(opts.timeoutMs ?? 4000);
  const reachable = opts.checkReachable === undefined ? tcpReachable : opts.checkReachable;
  return Promise.all(parseProbeMatches(found).map(async (m) => ({
    ...m,
    ...(await withChosenUrl(m.xaddrs, reachable)),
  })));
}

let errorListenerInstalled = false;

function probe(timeoutMs: number): Promise<unknown[]> {
  // The library emits 'error' on its singleton for every unreadable reply; with no listener
  // that would throw from a timer and end the process, so one junk datagram must not do that.
  if (!errorListenerInstalled) {
    onvif.Discovery.on('error', () => undefined);
    errorListenerInstalled = true;
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    onvif.Discovery.probe({ timeout: timeoutMs, resolve: false }, (err, found) => {
      if (settled) return;
      // At the end of the window `err` lists unreadable replies, which are no reason to fail.
      if (Array.isArray(found)) {
        settled = true;
        resolve(found);
      } else if (err) {
        settled = true;
        const message = Array.isArray(err) ? err.map(String).join('; ') : err.message;
        reject(new Error(`WS-Discovery probe failed: ${message}`));
      }
    });
  });
}

type Parsed = Omit<DiscoveredCamera, 'chosenUrl'>;

/** The library's ProbeMatches, merged by endpoint reference (a device may answer more than once). */
export function parseProbeMatches(found: unknown[]): Parsed[] {
  const byRef = new Map<string, Parsed>();
  for (const item of found) {
    const matches = record(record(item)?.probeMatches)?.probeMatch;
    for (const m of (Array.isArray(matches) ? matches : [matches]).map(record)) {
      const endpointReference = text(record(m?.endpointReference)?.address);
      if (!m || !endpointReference) continue;
      const xaddrs = words(m.XAddrs);
      const scopes = words(m.scopes);
      const known = byRef.get(endpointReference);
      if (known) {
        for (const x of xaddrs) if (!known.xaddrs.includes(x)) known.xaddrs.push(x);
        continue;
      }
      const name = scopeValues(scopes, 'name')[0];
      const hardware = scopeValues(scopes, 'hardware')[0];
      const location = [...new Set(scopeValues(scopes, 'location'))].join(', ');
      byRef.set(endpointReference, {
        endpointReference, xaddrs: [...new Set(xaddrs)],
        ...(name ? { name } : {}), ...(hardware ? { hardware } : {}), ...(location ? { location: location.slice(0, MAX_TEXT) } : {}),
      });
    }
  }
  return [...byRef.values()];
}

/** http(s) XAddrs other than link-local and unspecified addresses, IPv4 first. */
export function usableXAddrs(xaddrs: string[]): URL[] {
  const rank = (u: URL): number => (isIPv4(u.hostname) ? 0 : isIPv6(bare(u.hostname)) ? 2 : 1);
  return xaddrs.flatMap((x) => {
    try {
      const u = new URL(x);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !unusableHost(bare(u.hostname)) ? [u] : [];
    } catch {
      return [];
    }
  }).sort((a, b) => rank(a) - rank(b));
}

async function withChosenUrl(xaddrs: string[], reachable: DiscoverOptions['checkReachable']): Promise<{ chosenUrl?: string }> {
  const candidates = usableXAddrs(xaddrs);
  if (candidates.length === 0) return {};
  if (candidates.length === 1 || !reachable) return { chosenUrl: candidates[0]!.href };
  const answers = await Promise.all(candidates.map((c) => reachable(c).catch(() => false)));
  const first = answers.indexOf(true);
  return { chosenUrl: candidates[first >= 0 ? first : 0]!.href };
}

function unusableHost(host: string): boolean {
  if (isIPv4(host)) return host === '0.0.0.0' || host.startsWith('169.254.');
  if (isIPv6(host)) return /^(::|0:0:0:0:0:0:0:0)$/.test(host) || /^fe[89ab]/i.test(host);
  return host === '';
}

function tcpReachable(url: URL): Promise<boolean> {
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  return new Promise((resolve) => {
    const socket = connect({ host: bare(url.hostname), port });
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok); };
    socket.setTimeout(REACH_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function scopeValues(scopes: string[], kind: string): string[] {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  return scopes.filter((s) => s.toLowerCase().startsWith(prefix.toLowerCase())).map((s) => {
    const raw = s.slice(prefix.length);
    try {
      return decodeURIComponent(raw).slice(0, MAX_TEXT);
    } catch {
      return raw.slice(0, MAX_TEXT);
    }
  }).filter(Boolean);
}

/** xml2js gives an element with attributes (Scopes MatchBy="…") as `{ _: text, $: … }`. */
function text(v: unknown): string | undefined {
  const value = record(v)?._ ?? v;
  if (typeof value === 'string') return value.trim() || undefined;
  return typeof value === 'number' ? String(value) : undefined;
}

function words(v: unknown): string[] {
  return (text(v) ?? '').split(/\s+/).filter(Boolean);
}

function bare(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
}
