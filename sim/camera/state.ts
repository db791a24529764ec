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

/** Everything the ONVIF and discovery services answer from; mutable so tests can change it live. */
export interface CameraState {
  name: string;
  username: string;
  password: string;
  /** The camera's clock is `Date.now() + clockSkewMs`. */
  clockSkewMs: number;
  /** Host written into XAddrs and URIs. */
  advertisedHost: string;
  onvifPort: number;
  rtspPort: number;
  endpointReference: string;
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
  location: string;
  video: VideoFormat;
}

export const STREAM_PATH = '/stream';
export const DEVICE_PATH = '/onvif/device_service';
export const MEDIA_PATH = '/onvif/media_service';
export const SNAPSHOT_PATH = '/onvif/snapshot.jpg';
export const PROFILE_TOKEN = 'Profile_1';
export const VIDEO_SOURCE_TOKEN = 'VideoSource_1';

export function newCameraState(init: Pick<CameraState, 'name' | 'username' | 'password' | 'advertisedHost' | 'video'> & Partial<CameraState>): CameraState {
  const uuid = randomUUID();
  return {
    clockSkewMs: 0,
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

export function httpBase(state: CameraState): string {
  return `http://${hostForUrl(state.advertisedHost)}:${state.onvifPort}`;
}

export function rtspUrl(state: CameraState): string {
  return `rtsp://${hostForUrl(state.advertisedHost)}:${state.rtspPort}${STREAM_PATH}`;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
