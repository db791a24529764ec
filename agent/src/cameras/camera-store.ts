// The cameras this agent records, in the 'cameras' sublevel of the agent's LevelDB, keyed by id.
// Passwords are stored only as credentials.ts ciphertext; the key lives outside this database.
import type { Level } from 'level';
import type { CameraRecord } from './types';

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
    return (await this.cameras.get(id)) as CameraRecord | undefined;
  }

  /** All cameras, ordered by id. */
  async list(): Promise<CameraRecord[]> {
    return (await this.cameras.values().all()) as CameraRecord[];
  }

  /** True if there was such a camera. */
  async remove(id: string): Promise<boolean> {
    if ((await this.cameras.get(id)) === undefined) return false;
    await this.cameras.del(id);
    return true;
  }
}
