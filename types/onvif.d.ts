// The parts of the `onvif` npm package (0.8.x, CommonJS, untyped) that the tests use.
declare module 'onvif' {
  import type { EventEmitter } from 'node:events';

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
    connect(callback: (this: Cam, err: Error | null) => void): void;
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
