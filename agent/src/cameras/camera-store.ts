// The cameras this agent records, in the 'cameras' sublevel of the agent's LevelDB, keyed by id.
// Passwords are stored only as credentials.ts ciphertext; the key lives outside this database.
import type { Level } from 'level';
import { parseDeviceUrl } from './onvif-client';
import { reachableAddress, type AddressKind } from './stream-address';
import type { CameraProfile, CameraRecord } from './types';

type Sub = ReturnType<Level<string, unknown>['sublevel']>;

export class CameraStore {
  private constructor(private readonly cameras: Sub) {}

  static open(db: Level<string, unknown>): CameraStore {
    return new CameraStore(db.sublevel('cameras', { valueEncoding: 'json' }) as Sub);
  }

  async put(camera: CameraRecord): Promise<void> {
    if (!camera.id) throw new Error('a camera record needs an id');
    if (!camera.passwordEnc.startsWith('v1:')) {
      // A clear-text password must never reach the disk, even by a caller's mistake.
      throw new Error(`camera ${camera.id}: passwordEnc is not an encrypted secret`);
    }
    await this.cameras.put(camera.id, camera);
  }

  async get(id: string): Promise<CameraRecord | undefined> {
    const stored = await this.cameras.get(id);
    return stored === undefined ? undefined : upgradeRecord(stored as StoredRecord);
  }

  /** All cameras, ordered by id. */
  async list(): Promise<CameraRecord[]> {
    return ((await this.cameras.values().all()) as StoredRecord[]).map(upgradeRecord);
  }

  /** True if there was such a camera. */
  async remove(id: string): Promise<boolean> {
    if ((await this.cameras.get(id)) === undefined) return false;
    await this.cameras.del(id);
    return true;
  }
}

/** A record as an older agent wrote it: one profile, named by `profileToken`, addresses as the camera reported them. */
type StoredRecord = CameraRecord | (Omit<CameraRecord, 'profiles' | 'mainProfileToken' | 'subProfileToken'> & { profileToken: string });

/**
 * Records from before every profile was kept hold only the recorded one: it becomes the main and
 * sub profile, and its addresses get the same treatment new ones do (the reached host, no
 * credentials). Done on reading, so a downgraded agent still finds what it wrote.
 */
export function upgradeRecord(stored: StoredRecord): CameraRecord {
  if ('profiles' in stored && Array.isArray(stored.profiles)) return stored;
  const { profileToken, ...rest } = stored as Extract<StoredRecord, { profileToken: string }>;
  const stream = usable(rest.streamUri, rest.deviceUrl, 'stream');
  const snapshot = rest.snapshotUri === undefined ? undefined : usable(rest.snapshotUri, rest.deviceUrl, 'snapshot');
  const addresses = {
    streamUri: stream.uri,
    ...(stream.reported ? { reportedStreamUri: stream.reported } : {}),
    ...(snapshot ? { snapshotUri: snapshot.uri, ...(snapshot.reported ? { reportedSnapshotUri: snapshot.reported } : {}) } : {}),
  };
  const profile: CameraProfile = {
    token: profileToken, name: profileToken, encoding: rest.encoding ?? 'H264',
    width: rest.width ?? 0, height: rest.height ?? 0, fps: rest.fps ?? 0, ...addresses,
  };
  return { ...rest, ...addresses, profiles: [profile], mainProfileToken: profileToken, subProfileToken: profileToken };
}

/** The stored address as a new probe would keep it; if it cannot be read, as it was bar any credentials. */
function usable(uri: string, deviceUrl: string, kind: AddressKind): { uri: string; reported?: string } {
  try {
    const target = parseDeviceUrl(deviceUrl);
    return reachableAddress(uri, { hostname: target.hostname, label: target.host }, kind);
  } catch {
    return { uri: uri.replace(/^([a-z][\w+.-]*:\/\/)[^/?#]*@/i, '$1') };
  }
}
