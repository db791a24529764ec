// Adding a camera: ask it what it offers, keep every profile and record the best H.264 one (or
// the one an operator chose), store it with the password encrypted. Failures are the camera
// errors from onvif-client, unchanged, so callers can tell an operator which of network,
// password, clock or device is at fault; a profile the camera lacks is a CameraProfileError.
import { createHash, randomUUID } from 'node:crypto';
import type { CameraStore } from './camera-store';
import { encryptSecret } from './credentials';
import { probeCamera, type ProbeOptions, type ProbeResult } from './onvif-client';
import { systemClock, type CameraRecord, type Clock } from './types';

export interface AddCameraInput {
  url: string;
  username: string;
  password: string;
  name?: string;
  /** The profile to record; default the highest-resolution H.264 one. */
  profileToken?: string;
}

export interface OnboardingDeps {
  store: CameraStore;
  /** The credentials key (credentials.ts). */
  key: Buffer;
  clock?: Clock;
  timeoutMs?: number;
  probe?: (opts: ProbeOptions) => Promise<ProbeResult>;
}

const MAX_NAME = 128;

/** Adds the camera, or updates it when it is already known (same device, or same address). */
export async function addCamera(input: AddCameraInput, deps: OnboardingDeps): Promise<CameraRecord> {
  const clock = deps.clock ?? systemClock;
  const probe = deps.probe ?? probeCamera;
  const found = await probe({
    url: input.url, username: input.username, password: input.password, clock,
    ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}),
    ...(input.profileToken !== undefined ? { profileToken: input.profileToken } : {}),
  });
  const id = await cameraId(found, deps.store);
  const existing = await deps.store.get(id);
  // Re-adding (a new password, a new address) keeps an operator's earlier choice while the camera still has it.
  const chosen = input.profileToken ?? usableChoice(existing?.chosenProfileToken, found.profiles);
  const main = found.profiles.find((p) => p.token === (chosen ?? found.profileToken));
  if (!main?.streamUri) throw new Error(`probe result names profile ${found.profileToken} but does not list it with a stream address`);

  const info = found.deviceInformation;
  const record: CameraRecord = {
    id,
    name: clipName(input.name) ?? existing?.name ?? defaultName(found),
    deviceUrl: found.deviceUrl,
    ...(info.manufacturer ? { manufacturer: info.manufacturer } : {}),
    ...(info.model ? { model: info.model } : {}),
    ...(info.firmwareVersion ? { firmwareVersion: info.firmwareVersion } : {}),
    ...(info.serialNumber ? { serialNumber: info.serialNumber } : {}),
    encoding: main.encoding,
    width: main.width,
    height: main.height,
    fps: main.fps,
    clockOffsetMs: found.clockOffsetMs,
    profiles: found.profiles,
    mainProfileToken: main.token,
    subProfileToken: found.subProfileToken,
    ...(chosen !== undefined ? { chosenProfileToken: chosen } : {}),
    username: input.username,
    passwordEnc: encryptSecret(input.password, deps.key),
    streamUri: main.streamUri,
    ...(main.reportedStreamUri ? { reportedStreamUri: main.reportedStreamUri } : {}),
    ...(main.snapshotUri ? { snapshotUri: main.snapshotUri } : {}),
    ...(main.reportedSnapshotUri ? { reportedSnapshotUri: main.reportedSnapshotUri } : {}),
    addedAt: existing?.addedAt ?? new Date(clock.now()).toISOString(),
  };
  await deps.store.put(record);
  return record;
}

/** The earlier choice, if the camera still offers it as an H.264 profile with a stream address. */
function usableChoice(token: string | undefined, profiles: ProbeResult['profiles']): string | undefined {
  const p = token === undefined ? undefined : profiles.find((x) => x.token === token);
  return p?.encoding === 'H264' && p.streamUri ? p.token : undefined;
}

/**
 * Stable across re-adds and address changes when the camera has a serial number (DHCP moves
 * cameras; the serial stays). Without one, the camera already stored at this address keeps its id.
 */
async function cameraId(found: ProbeResult, store: CameraStore): Promise<string> {
  const { manufacturer, serialNumber } = found.deviceInformation;
  if (serialNumber) return `cam-${createHash('sha256').update(`${manufacturer}\n${serialNumber}`).digest('hex').slice(0, 12)}`;
  const sameAddress = (await store.list()).find((c) => c.deviceUrl === found.deviceUrl);
  return sameAddress?.id ?? `cam-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

function clipName(name: string | undefined): string | undefined {
  const n = name?.trim();
  return n ? n.slice(0, MAX_NAME) : undefined;
}

function defaultName(found: ProbeResult): string {
  const { manufacturer, model } = found.deviceInformation;
  const label = model.toLowerCase().startsWith(manufacturer.toLowerCase()) ? model : `${manufacturer} ${model}`;
  return (label.trim() || new URL(found.deviceUrl).host).slice(0, MAX_NAME);
}
