// The parts of the `onvif` npm package (0.8.x, CommonJS) that the agent and the tests use.
// Values come through xml2js and the library's `linerase`: numeric-looking text arrives as numbers.
declare module 'onvif' {
  import type { EventEmitter } from 'node:events';
  import type { Agent } from 'node:http';

  type Callback<T> = (this: Cam, err: Error | null, result: T, xml?: string) => void;

  export interface CamOptions {
    hostname: string;
    port?: number;
    path?: string;
    username?: string;
    password?: string;
    /** Milliseconds; the library default is 120 s, always set a short one. */
    timeout?: number;
    autoconnect?: boolean;
    preserveAddress?: boolean;
    useWSSecurity?: boolean;
    useSecure?: boolean;
    secureOpts?: Record<string, unknown>;
    /** Passed to http(s).request for every call: an https.Agent when `useSecure`. */
    agent?: Agent | false;
  }

  /** A service address as `url.parse` returns it; requests use only its path. */
  export interface ServiceUri {
    href?: string;
    path?: string | null;
  }

  export interface DeviceInformation {
    manufacturer: string;
    model: string;
    firmwareVersion: string;
    serialNumber: string;
    hardwareId: string;
  }

  export interface MediaUri {
    uri: string;
    invalidAfterConnect?: boolean;
    invalidAfterReboot?: boolean;
    timeout?: string;
  }

  export interface Profile {
    $: { token: string; fixed?: boolean };
    name: string;
    videoSourceConfiguration?: { $: { token: string }; sourceToken: string; bounds: { $: { width: number; height: number } } };
    videoEncoderConfiguration?: {
      $: { token: string };
      encoding: string;
      resolution: { width: number; height: number };
      rateControl?: { frameRateLimit: number; bitrateLimit: number; encodingInterval: number };
      H264?: { govLength: number; H264Profile: string };
    };
  }

  export interface ActiveSource {
    sourceToken: string;
    profileToken: string;
    encoding?: string;
    width?: number;
    height?: number;
    fps?: number;
  }

  export class Cam extends EventEmitter {
    constructor(options: CamOptions, callback?: (this: Cam, err: Error | null) => void);
    hostname: string;
    port: number;
    path: string;
    profiles?: Profile[];
    activeSource?: ActiveSource;
    /** Filled by getServices or getCapabilities: where each service answers. */
    uri?: Record<string, ServiceUri | undefined>;
    /** Set by getServices when the camera offers Media2; the media calls then use it. */
    media2Support?: boolean;
    connect(callback: (this: Cam, err: Error | null) => void): void;
    on(event: 'rawResponse', listener: (xml: string, statusCode: number) => void): this;
    on(event: 'warning', listener: (message: string) => void): this;
    on(event: string | symbol, listener: (...args: unknown[]) => void): this;
    getServices(includeCapability: boolean, callback: Callback<unknown>): void;
    getCapabilities(callback: Callback<unknown>): void;
    getSystemDateAndTime(callback: Callback<Date>): void;
    getDeviceInformation(callback: Callback<DeviceInformation>): void;
    getProfiles(callback: Callback<Profile[]>): void;
    getStreamUri(options: { protocol?: 'RTSP' | 'UDP' | 'HTTP'; stream?: string; profileToken?: string }, callback: Callback<MediaUri>): void;
    getSnapshotUri(options: { profileToken?: string }, callback: Callback<MediaUri>): void;
  }

  export interface ProbeOptions {
    timeout?: number;
    /** false: report the parsed ProbeMatches instead of constructing (and connecting) a Cam per device. */
    resolve?: boolean;
    device?: string;
    listeningPort?: number;
    messageId?: string;
  }

  export interface ProbeMatchData {
    probeMatches: {
      probeMatch: {
        endpointReference: { address: string };
        types: string;
        scopes: string;
        XAddrs: string;
        metadataVersion: number;
      };
    };
  }

  export const Discovery: EventEmitter & {
    probe(options: ProbeOptions, callback: (err: Error[] | Error | null, found: Array<Cam | ProbeMatchData>) => void): void;
  };
}
