import { randomUUID } from 'node:crypto';

export interface VideoFormat {
  width: number;
  height: number;
  fps: number;
  /** Frames between keyframes. */
  gop: number;
  /** The encoder's target and ceiling; the plain test pattern compresses far below it (a 1080p clip at 4000 comes out near 0.6 Mbit/s). */
  bitrateKbps: number;
  /**
   * Strength (1–100) of ffmpeg's temporal noise filter over the test pattern, so the encoder needs
   * the whole bitrate, as a real sensor's noise does. Absent: the plain pattern (the default clip).
   */
  noise?: number;
}

/** What a camera's clips are encoded with: H.264 (the default) or H.265 (`codec` option, index.ts). */
export type VideoCodec = 'h264' | 'h265';

/** Everything the ONVIF and discovery services answer from; mutable so tests can change it live. */
export interface CameraState {
  name: string;
  username: string;
  password: string;
  /** The camera's clock is `Date.now() + clockSkewMs`. */
  clockSkewMs: number;
  /** Host written into XAddrs, and into stream and snapshot URIs unless `reportedHost` is set. */
  advertisedHost: string;
  /**
   * Host written into GetStreamUri and GetSnapshotUri answers instead, like a camera behind NAT or
   * after a DHCP change reporting an address nobody reaches it at (0.0.0.0, its old address).
   */
  reportedHost?: string;
  onvifPort: number;
  rtspPort: number;
  endpointReference: string;
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
  location: string;
  /** Both streams' codec, as the media profiles report it (Encoding H264 or H265). */
  codec: VideoCodec;
  /** The main stream (profile Profile_1). */
  video: VideoFormat;
  /** The smaller sub-stream (profile Profile_2), for live grids. */
  subVideo: VideoFormat;
}

/** One media profile the camera offers: its token, name, format and where it is served. */
export interface StreamProfile {
  token: string;
  name: string;
  video: VideoFormat;
  rtspPath: string;
  snapshotPath: string;
}

export const STREAM_PATH = '/stream';
export const SUB_STREAM_PATH = '/sub';
export const DEVICE_PATH = '/onvif/device_service';
export const MEDIA_PATH = '/onvif/media_service';
export const SNAPSHOT_PATH = '/onvif/snapshot.jpg';
export const SUB_SNAPSHOT_PATH = '/onvif/snapshot-sub.jpg';
export const PROFILE_TOKEN = 'Profile_1';
export const SUB_PROFILE_TOKEN = 'Profile_2';
export const VIDEO_SOURCE_TOKEN = 'VideoSource_1';

/** Main stream first, as real cameras list it. */
export function streamProfiles(state: CameraState): StreamProfile[] {
  return [
    { token: PROFILE_TOKEN, name: 'mainStream', video: state.video, rtspPath: STREAM_PATH, snapshotPath: SNAPSHOT_PATH },
    { token: SUB_PROFILE_TOKEN, name: 'subStream', video: state.subVideo, rtspPath: SUB_STREAM_PATH, snapshotPath: SUB_SNAPSHOT_PATH },
  ];
}

export function newCameraState(init: Pick<CameraState, 'name' | 'username' | 'password' | 'advertisedHost' | 'video' | 'subVideo'> & Partial<CameraState>): CameraState {
  const uuid = randomUUID();
  return {
    clockSkewMs: 0,
    codec: 'h264',
    onvifPort: 0,
    rtspPort: 0,
    endpointReference: `urn:uuid:${uuid}`,
    manufacturer: 'Sargs',
    model: 'SimCam 1000',
    firmwareVersion: '1.0.0',
    serialNumber: uuid.replace(/-/g, '').slice(0, 12).toUpperCase(),
    hardwareId: 'SIM-1',
    location: 'test-bench',
    ...init,
  };
}

export function cameraNow(state: CameraState): Date {
  return new Date(Date.now() + state.clockSkewMs);
}

/** Where the camera's HTTP side is reached; `reported` gives the base it writes into snapshot URIs. */
export function httpBase(state: CameraState, reported = false): string {
  return `http://${hostForUrl(reported ? state.reportedHost ?? state.advertisedHost : state.advertisedHost)}:${state.onvifPort}`;
}

/** Where a stream is reached; `reported` gives the URI the camera writes into GetStreamUri answers. */
export function rtspUrl(state: CameraState, path = STREAM_PATH, reported = false): string {
  return `rtsp://${hostForUrl(reported ? state.reportedHost ?? state.advertisedHost : state.advertisedHost)}:${state.rtspPort}${path}`;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
