// Which of a camera's media profiles the agent records (the main stream) and which a live grid
// would show (the sub-stream). Only H.264 counts: it is what the recorder copies without transcoding.
import type { CameraProfile } from '@sargs/shared';
import { CameraProtocolError } from './camera-errors';

/** An operator asked for a profile the camera does not have, or one that is not H.264: the caller's mistake. */
export class CameraProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CameraProfileError';
  }
}

type Facts = Pick<CameraProfile, 'token' | 'encoding' | 'width' | 'height' | 'fps' | 'bitrate'>;

const pixels = (p: Facts): number => p.width * p.height;

/** Highest resolution, then frame rate, then bit rate: the main stream is what gets recorded. */
export function bestH264Profile<P extends Facts>(profiles: readonly P[]): P | undefined {
  return profiles.filter((p) => p.encoding === 'H264')
    .sort((a, b) => pixels(b) - pixels(a) || b.fps - a.fps || (b.bitrate ?? 0) - (a.bitrate ?? 0))[0];
}

/**
 * Smallest resolution, then frame rate, then bit rate (ties keep the camera's order); the
 * main one when the camera has a single H.264 profile.
 */
export function subH264Profile<P extends Facts>(profiles: readonly P[]): P | undefined {
  return profiles.filter((p) => p.encoding === 'H264')
    .sort((a, b) => pixels(a) - pixels(b) || a.fps - b.fps || (a.bitrate ?? 0) - (b.bitrate ?? 0))[0];
}

/**
 * The main and sub profiles. `requested` is an operator's choice of main profile; it must name one
 * of the camera's H.264 profiles (CameraProfileError otherwise). A camera without any H.264
 * profile cannot be recorded (CameraProtocolError, naming the camera by `host`).
 */
export function chooseProfiles<P extends Facts>(profiles: readonly P[], host: string, requested?: string): { main: P; sub: P } {
  const best = bestH264Profile(profiles);
  const sub = subH264Profile(profiles);
  if (!best || !sub) {
    const found = [...new Set(profiles.map((p) => p.encoding || 'unknown'))].join(', ');
    throw new CameraProtocolError(host, found ? `it offers no H.264 profile (only ${found})` : 'it reports no video profiles');
  }
  if (requested === undefined) return { main: best, sub };
  const h264 = profiles.filter((p) => p.encoding === 'H264').map((p) => `"${p.token}" (${p.width}x${p.height})`).join(', ');
  const chosen = profiles.find((p) => p.token === requested);
  if (!chosen) throw new CameraProfileError(`camera at ${host} has no profile "${requested}"; its H.264 profiles are ${h264}`);
  if (chosen.encoding !== 'H264') {
    throw new CameraProfileError(`profile "${requested}" of camera at ${host} is ${chosen.encoding || 'of unknown encoding'}, not H.264; its H.264 profiles are ${h264}`);
  }
  return { main: chosen, sub };
}
