// What the agent learns from a camera before recording it, through the `onvif` package.
// The library is used call by call, not through Cam.connect(): connect swallows media errors
// (a wrong password can then "succeed" with no profiles) and can throw from inside a socket callback.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { MAX_CAMERA_PROFILES, type CameraProfile } from '@sargs/shared';
import onvif, { type Cam } from 'onvif';
import {
  CameraAddressError, CameraClockSkewError, CameraError, CameraProtocolError, CameraUnreachableError,
  classifyFailure, RESPONSE_TOO_LARGE, seconds,
} from './camera-errors';
import { chooseProfiles } from './profile-choice';
import { reachableAddress, type CameraAddress } from './stream-address';
import { systemClock, type Clock } from './types';

export { bestH264Profile, subH264Profile } from './profile-choice';

/** WS-UsernameToken digests carry a creation time; cameras (Axis, Hikvision) refuse them beyond this skew. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Real GetProfiles replies are tens of kB; anything this large is a broken or hostile device. */
export const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
const MAX_TEXT_LENGTH = 128;
/** ONVIF tokens are at most 64 characters; twice that is room for a sloppy camera, not for junk. */
const MAX_TOKEN_LENGTH = 128;

export interface ProbeOptions {
  /** Device service URL; `host[:port]` alone means http and /onvif/device_service. */
  url: string;
  username: string;
  password: string;
  /** Per ONVIF call. */
  timeoutMs?: number;
  clock?: Clock;
  maxResponseBytes?: number;
  /** The profile to record instead of the highest-resolution H.264 one; must be an H.264 profile. */
  profileToken?: string;
}

export interface DeviceInformation { manufacturer: string; model: string; firmwareVersion: string; serialNumber: string }

/** A profile's facts and addresses; the addresses are usable from this gateway (stream-address.ts). */
export type ProfileSummary = CameraProfile;

export interface ProbeResult {
  /** The device service URL, normalised and without any credentials. */
  deviceUrl: string;
  deviceInformation: DeviceInformation;
  /** Camera clock minus gateway clock. */
  clockOffsetMs: number;
  /** Every profile, in the camera's order, each with its stream and snapshot addresses where it gave them. */
  profiles: ProfileSummary[];
  /** The main profile, which streamUri and snapshotUri belong to: the best H.264 one, or the one asked for. */
  profileToken: string;
  /** The smallest H.264 profile, for live grids; the main one when there is only one. */
  subProfileToken: string;
  streamUri: string;
  /** What the camera reported, when its host is not the one that reaches the camera. */
  reportedStreamUri?: string;
  snapshotUri?: string;
  reportedSnapshotUri?: string;
}

export interface CameraTarget { deviceUrl: string; hostname: string; port: number; path: string; secure: boolean; host: string }

export function parseDeviceUrl(input: string): CameraTarget {
  const raw = input.trim();
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new CameraAddressError(input, 'it is not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CameraAddressError(input, 'ONVIF speaks http or https');
  if (!u.hostname) throw new CameraAddressError(input, 'it names no host');
  u.username = '';
  u.password = '';
  u.hash = '';
  if (u.pathname === '/') u.pathname = '/onvif/device_service';
  const secure = u.protocol === 'https:';
  return {
    deviceUrl: u.href,
    hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : secure ? 443 : 80,
    path: u.pathname + u.search,
    secure,
    host: u.host,
  };
}

export function probeCamera(opts: ProbeOptions): Promise<ProbeResult> {
  return withCameraSession(opts, async (session, target, clockOffsetMs) => {
    await session.findMediaService();
    const deviceInformation = await session.deviceInformation();
    const facts = await session.profiles();
    const { main, sub } = chooseProfiles(facts, target.host, opts.profileToken);
    const profiles: ProfileSummary[] = [];
    // One at a time: small cameras serve one request at once and drop the rest.
    for (const p of facts) profiles.push(await session.addresses(p, p === main || p === sub));
    const chosen = profiles[facts.indexOf(main)]!;
    return {
      deviceUrl: target.deviceUrl, deviceInformation, clockOffsetMs, profiles,
      profileToken: main.token, subProfileToken: sub.token,
      streamUri: chosen.streamUri!,
      ...pick(chosen, 'reportedStreamUri', 'snapshotUri', 'reportedSnapshotUri'),
    };
  });
}

function pick<T extends object, K extends keyof T>(from: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

/** What a periodic health check learns about a camera already added. */
export interface CameraCheck { clockOffsetMs: number }

/**
 * The periodic health check of a camera already added: is it there, is its clock right, does it
 * still take our password. Two calls where onboarding makes six or seven, each reply parsed as
 * XML: the full probe every minute per camera was most of a small gateway's agent CPU.
 */
export function checkCamera(opts: ProbeOptions): Promise<CameraCheck> {
  return withCameraSession(opts, async (session, _target, clockOffsetMs) => {
    // Signed: a changed password shows here before the stream's next reconnect fails on it.
    await session.deviceInformation();
    return { clockOffsetMs };
  });
}

export interface SynchronizationPointOptions {
  /** Device service URL, as for probeCamera. */
  url: string;
  username: string;
  password: string;
  profileToken: string;
  /** Per ONVIF call (at most three: the clock, the media service, the request itself). */
  timeoutMs?: number;
  /** Camera clock minus gateway clock, when a recent probe knows it: saves reading the camera's clock. */
  clockOffsetMs?: number;
  /** The media service's path from an earlier answer (`mediaPath` below): saves asking GetServices. */
  mediaPath?: string;
  clock?: Clock;
}

/**
 * ONVIF Media SetSynchronizationPoint: the camera's encoder for this profile makes its next frame a
 * keyframe (IDR with SPS and PPS), for every client of the stream. Mandatory for Profile S cameras;
 * a camera that refuses or lacks it fails here (ter:ActionNotSupported as a CameraProtocolError), and
 * its streams simply keep their own keyframe interval. Resolves with the media service's path, for
 * the next request to reuse.
 */
export async function requestSynchronizationPoint(opts: SynchronizationPointOptions): Promise<{ mediaPath: string }> {
  const target = parseDeviceUrl(opts.url);
  const session = new OnvifSession(target, opts);
  try {
    const offset = opts.clockOffsetMs ?? await session.clockOffset();
    // The library writes the digest's creation time from this shift (camera time minus uptime);
    // without a GetSystemDateAndTime call of its own it would write 1970.
    session.setClockOffset(offset);
    if (opts.mediaPath) session.useMediaPath(opts.mediaPath);
    else await session.findMediaService();
    await session.synchronizationPoint(opts.profileToken);
    return { mediaPath: session.mediaPath() };
  } finally {
    session.close();
  }
}

/** A session whose camera clock has been read and found close enough, closed whatever `work` does. */
async function withCameraSession<T>(opts: ProbeOptions, work: (session: OnvifSession, target: CameraTarget, clockOffsetMs: number) => Promise<T>): Promise<T> {
  const target = parseDeviceUrl(opts.url);
  const session = new OnvifSession(target, opts);
  try {
    // The clock first and unauthenticated: with a skewed clock every signed call fails as "not authorized".
    const clockOffsetMs = await session.clockOffset();
    if (Math.abs(clockOffsetMs) > MAX_CLOCK_SKEW_MS) throw new CameraClockSkewError(target.host, clockOffsetMs, MAX_CLOCK_SKEW_MS);
    return await work(session, target, clockOffsetMs);
  } finally {
    session.close();
  }
}

type LibCallback<T> = (err: Error | null, result: T) => void;

/** What the library's Cam has beyond the declarations in types/onvif.d.ts. */
interface CamExtras {
  /** Camera time minus process.uptime() in ms: the base of each digest's creation time. */
  timeShift?: number;
  setSynchronizationPoint(options: { profileToken?: string }, callback: LibCallback<unknown>): void;
}

class OnvifSession {
  private readonly cam: Cam;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  /** The raw reply to the current call, for telling a NotAuthorized fault from other faults. */
  private last: { status?: number; xml?: string } = {};
  private failCurrent: ((err: Error) => void) | undefined;

  constructor(private readonly target: CameraTarget, opts: ProbeOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.clock = opts.clock ?? systemClock;
    this.agent = cappedAgent(target.secure, opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, (err) => this.failCurrent?.(err));
    this.cam = new onvif.Cam({
      hostname: target.hostname, port: target.port, path: target.path,
      username: opts.username, password: opts.password,
      timeout: this.timeoutMs, autoconnect: false, agent: this.agent,
      // Cameras ship self-signed certificates; the password never travels in clear (digest), so encryption
      // without identity still beats plain http.
      useSecure: target.secure, secureOpts: { rejectUnauthorized: false },
    });
    this.cam.on('rawResponse', (xml: string, status: number) => { this.last = { xml, status }; });
  }

  async clockOffset(): Promise<number> {
    const before = this.clock.now();
    const cameraTime = await this.call<Date>('GetSystemDateAndTime', (cb) => this.cam.getSystemDateAndTime(cb));
    const after = this.clock.now();
    const ms = cameraTime instanceof Date ? cameraTime.getTime() : Number.NaN;
    if (!Number.isFinite(ms)) throw this.protocol('its GetSystemDateAndTime reply holds no valid time');
    // The reply is stamped about half-way through the round trip, in whole seconds rounded down.
    return Math.round(ms + 500 - (before + (after - before) / 2));
  }

  /** Where the media service answers: GetServices, or GetCapabilities on cameras older than ONVIF 2.0. */
  async findMediaService(): Promise<void> {
    let servicesError: unknown;
    try {
      await this.call('GetServices', (cb) => this.cam.getServices(false, cb));
    } catch (err) {
      if (err instanceof CameraUnreachableError) throw err;
      servicesError = err;
    }
    if (servicesError !== undefined || !this.cam.uri?.media?.path) {
      await this.call('GetCapabilities', (cb) => this.cam.getCapabilities(cb));
    }
    // Media1 when offered (every Profile S camera has it): one reply shape to read.
    if (this.cam.uri?.media?.path) this.cam.media2Support = false;
    else if (!this.cam.uri?.media2?.path) throw this.protocol('it offers no media service');
  }

  setClockOffset(offsetMs: number): void {
    (this.cam as unknown as CamExtras).timeShift = this.clock.now() + offsetMs - process.uptime() * 1000;
  }

  /**
   * The media service at a path learnt before. The library sends to the camera's own host and port
   * with the path of `uri.media` (or `uri.media2` when media2Support is set).
   */
  useMediaPath(path: string): void {
    const media2 = path.startsWith('media2:');
    this.cam.uri = { ...this.cam.uri, [media2 ? 'media2' : 'media']: { path: media2 ? path.slice('media2:'.length) : path } };
    this.cam.media2Support = media2;
  }

  /** Where media calls went: `media2:`-prefixed for a camera with Media2 only. */
  mediaPath(): string {
    const path = (this.cam.media2Support ? this.cam.uri?.media2 : this.cam.uri?.media)?.path ?? '';
    return this.cam.media2Support ? `media2:${path}` : path;
  }

  async synchronizationPoint(profileToken: string): Promise<void> {
    await this.call<unknown>('SetSynchronizationPoint', (cb) => (this.cam as unknown as CamExtras).setSynchronizationPoint({ profileToken: escapeXml(profileToken) }, cb));
  }

  async deviceInformation(): Promise<DeviceInformation> {
    const parsed = record(await this.call<unknown>('GetDeviceInformation', (cb) => this.cam.getDeviceInformation(cb)));
    // From the raw reply where possible: the library turns "1.10" into 1.1 and long serials into floats.
    const field = (tag: string): string => clip(xmlText(this.last.xml, tag) ?? scalar(parsed?.[tag[0]!.toLowerCase() + tag.slice(1)]) ?? '');
    const info = {
      manufacturer: field('Manufacturer'), model: field('Model'),
      firmwareVersion: field('FirmwareVersion'), serialNumber: field('SerialNumber'),
    };
    if (!info.manufacturer && !info.model) throw this.protocol('its GetDeviceInformation reply names no manufacturer or model');
    return info;
  }

  /** Every profile's facts, without addresses; tokens and names from the raw reply, as the camera wrote them. */
  async profiles(): Promise<ProfileSummary[]> {
    const raw = await this.call<unknown>('GetProfiles', (cb) => this.cam.getProfiles(cb));
    if (!Array.isArray(raw)) throw this.protocol('its GetProfiles reply holds no profile list');
    const labels = profileLabels(this.last.xml);
    const exact = labels.length === raw.length ? labels : [];
    return raw.flatMap((p, i) => toProfileSummary(p, exact[i])).slice(0, MAX_CAMERA_PROFILES);
  }

  /**
   * The profile with its stream and snapshot addresses. A profile the agent uses (`needed`) must
   * have a stream address; for the others, and for every snapshot, a camera that will not say is
   * let be: recording does not need them.
   */
  async addresses(profile: ProfileSummary, needed: boolean): Promise<ProfileSummary> {
    let stream: CameraAddress | undefined;
    try {
      stream = await this.streamUri(profile.token);
    } catch (err) {
      if (needed || err instanceof CameraUnreachableError || !(err instanceof CameraError)) throw err;
    }
    const snapshot = await this.snapshotUri(profile.token);
    return {
      ...profile,
      ...(stream ? { streamUri: stream.uri, ...(stream.reported ? { reportedStreamUri: stream.reported } : {}) } : {}),
      ...(snapshot ? { snapshotUri: snapshot.uri, ...(snapshot.reported ? { reportedSnapshotUri: snapshot.reported } : {}) } : {}),
    };
  }

  private async streamUri(profileToken: string): Promise<CameraAddress> {
    // RTSP over TCP (interleaved), unicast: what the recorder asks for with -rtsp_transport tcp.
    const res = await this.call<unknown>('GetStreamUri', (cb) => this.cam.getStreamUri({ protocol: 'RTSP', stream: 'RTP-Unicast', profileToken: escapeXml(profileToken) }, cb));
    const reported = scalar(record(res)?.uri);
    if (!reported) throw this.protocol(`its GetStreamUri reply for profile "${profileToken}" holds no address`);
    return reachableAddress(reported, this.reached(), 'stream');
  }

  /** Optional: some cameras have no snapshot, or deny it to limited users; recording does not need it. */
  private async snapshotUri(profileToken: string): Promise<CameraAddress | undefined> {
    try {
      const res = await this.call<unknown>('GetSnapshotUri', (cb) => this.cam.getSnapshotUri({ profileToken: escapeXml(profileToken) }, cb));
      const reported = scalar(record(res)?.uri);
      return reported ? reachableAddress(reported, this.reached(), 'snapshot') : undefined;
    } catch (err) {
      if (err instanceof CameraUnreachableError) throw err;
      return undefined;
    }
  }

  private reached() {
    return { hostname: this.target.hostname, label: this.target.host };
  }

  close(): void {
    this.failCurrent = undefined;
    this.agent.destroy();
    this.cam.removeAllListeners();
  }

  private call<T>(operation: string, invoke: (cb: LibCallback<T>) => void): Promise<T> {
    this.last = {};
    const ctx = () => ({ host: this.target.host, operation, timeoutMs: this.timeoutMs, ...this.last });
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (err: unknown, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.failCurrent = undefined;
        if (err) reject(classifyFailure(err, ctx()));
        else resolve(value as T);
      };
      // The library's timeout is per socket inactivity: a camera trickling bytes would never trip it.
      const timer = setTimeout(() => {
        settle(new CameraUnreachableError(this.target.host, `no answer to ${operation} within ${seconds(this.timeoutMs)}`));
        this.agent.destroy();
      }, this.timeoutMs);
      this.failCurrent = (err) => settle(err);
      try {
        invoke((err, result) => settle(err, result));
      } catch (err) {
        settle(err);
      }
    });
  }

  private protocol(why: string): CameraProtocolError {
    return new CameraProtocolError(this.target.host, why);
  }
}

interface ProfileLabel { token?: string; name?: string }

function toProfileSummary(value: unknown, label: ProfileLabel | undefined): ProfileSummary[] {
  const p = record(value);
  const encoder = record(p?.videoEncoderConfiguration);
  // The library's linerase turns numeric tokens ("0" on Pelco) into numbers, and long digit runs
  // into rounded floats: the raw reply's text where it was read, else String() them back.
  const token = label?.token ?? scalar(record(p?.$)?.token);
  if (!p || !encoder || !token || token.length > MAX_TOKEN_LENGTH) return [];
  const resolution = record(encoder.resolution);
  const rate = record(encoder.rateControl);
  const bitrate = num(rate?.bitrateLimit);
  return [{
    token, name: clip(label?.name ?? scalar(p.name) ?? token),
    encoding: clip((scalar(encoder.encoding) ?? '').toUpperCase().replace(/[.\s-]/g, '')).slice(0, 32),
    width: Math.round(num(resolution?.width)), height: Math.round(num(resolution?.height)), fps: num(rate?.frameRateLimit),
    ...(bitrate > 0 ? { bitrate } : {}),
  }];
}

/**
 * Token and name of each profile in a GetProfiles reply, in order, as written. A profile's own
 * Name is its first child element, ahead of the configurations' names.
 */
export function profileLabels(xml: string | undefined): ProfileLabel[] {
  if (!xml) return [];
  const opens = [...xml.matchAll(/<(?:[\w.-]+:)?Profiles\b([^>]*)>/g)];
  return opens.map((m, i) => {
    const body = xml.slice((m.index ?? 0) + m[0].length, opens[i + 1]?.index ?? xml.length);
    const attr = /\btoken\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(m[1] ?? '');
    const token = attr ? decodeEntities(attr[1] ?? attr[2] ?? '').trim() : undefined;
    const name = xmlText(body, 'Name');
    return { ...(token ? { token } : {}), ...(name ? { name } : {}) };
  });
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

function clip(s: string): string {
  return s.length > MAX_TEXT_LENGTH ? s.slice(0, MAX_TEXT_LENGTH) : s;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Text of the first `<prefix:tag>` element in a reply, entities decoded. */
export function xmlText(xml: string | undefined, tag: string): string | undefined {
  const m = xml && new RegExp(`<(?:[\\w.-]+:)?${tag}(?:\\s[^>]*)?>([^<]*)</`).exec(xml);
  if (!m) return undefined;
  return decodeEntities(m[1] ?? '').trim() || undefined;
}

const ESCAPES = Object.fromEntries(Object.entries(ENTITIES).map(([name, char]) => [char, `&${name};`]));

/** The library writes tokens into its requests as they are; one holding & or < would break the XML. */
function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[\da-f]+|#\d+|\w+);/gi, (all, e: string) => {
    if (e[0] !== '#') return ENTITIES[e] ?? all;
    const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

/** An agent whose sockets give up once a reply passes `maxBytes`: the library buffers replies whole. */
function cappedAgent(secure: boolean, maxBytes: number, onTooLarge: (err: Error) => void): http.Agent {
  const Base: typeof http.Agent = secure ? https.Agent : http.Agent;
  const capped = new WeakSet<Duplex>();
  const cap = (socket: Duplex | null | undefined): void => {
    if (!socket || capped.has(socket)) return;
    capped.add(socket);
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBytes) return;
      const err = Object.assign(new Error(`${(maxBytes / 1024 / 1024).toFixed(1)} MiB`), { code: RESPONSE_TOO_LARGE });
      socket.destroy(err);
      // Once the response has begun, node ends it quietly and the library never calls back.
      onTooLarge(err);
    });
  };
  class CappedAgent extends Base {
    override createConnection(...[options, callback]: Parameters<http.Agent['createConnection']>): ReturnType<http.Agent['createConnection']> {
      const socket = super.createConnection(options, (err, s) => { cap(s); callback?.(err, s); });
      cap(socket);
      return socket;
    }
  }
  return new CappedAgent({ keepAlive: false });
}
