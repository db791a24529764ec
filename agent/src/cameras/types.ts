import type { CameraHealth, CameraInfo, CameraProfile } from '@sargs/shared';

/** What the agent stores about a camera it records (credentials encrypted, never in clear). */
export interface CameraRecord extends CameraInfo {
  username: string;
  /** AES-256-GCM ciphertext of the password, see credentials.ts. */
  passwordEnc: string;
  profiles: CameraProfile[];
  mainProfileToken: string;
  subProfileToken: string;
  /** The main profile chosen by an operator, kept across re-adds; absent when the agent chose. */
  chosenProfileToken?: string;
  /** The main profile's addresses as the agent uses them (stream-address.ts): no credentials in them. */
  streamUri: string;
  reportedStreamUri?: string;
  snapshotUri?: string;
  reportedSnapshotUri?: string;
  addedAt: string;
}

/** One finished (or, after a crash, salvaged) recording file. */
export interface Segment {
  cameraId: string;
  /** ISO-8601 UTC, millisecond precision. */
  start: string;
  end: string;
  bytes: number;
  /** Relative to the recordings root. */
  path: string;
}

/** Injectable time, so retention and health run in tests without waiting. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export type { CameraHealth, CameraInfo, CameraProfile };
