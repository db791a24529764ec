// What lighting must remember across restarts, in the 'lighting' sublevel of the agent's LevelDB:
// the setup the hub set (it wins over the configuration file's), the manual overrides with their
// expiry, and what was last reported to the hub (scene on/off, interface up/down), so a restart
// reports only real changes.
import type { LightingOverride, LightingSetup } from '@sargs/shared';
import type { Level } from 'level';

type Sub = ReturnType<Level<string, unknown>['sublevel']>;

export interface StoredSetup { setup: LightingSetup; by: string; at: string }

export class LightingStore {
  private constructor(private readonly sub: Sub) {}

  static open(db: Level<string, unknown>): LightingStore {
    return new LightingStore(db.sublevel('lighting', { valueEncoding: 'json' }) as Sub);
  }

  async hubSetup(): Promise<StoredSetup | undefined> {
    return (await this.sub.get('setup')) as StoredSetup | undefined;
  }

  putHubSetup(s: StoredSetup): Promise<void> {
    return this.sub.put('setup', s);
  }

  async overrides(): Promise<Record<string, LightingOverride>> {
    return ((await this.sub.get('overrides')) as Record<string, LightingOverride> | undefined) ?? {};
  }

  putOverrides(o: Record<string, LightingOverride>): Promise<void> {
    return this.sub.put('overrides', o);
  }

  async reportedScenes(): Promise<Record<string, boolean>> {
    return ((await this.sub.get('reported-scenes')) as Record<string, boolean> | undefined) ?? {};
  }

  putReportedScenes(r: Record<string, boolean>): Promise<void> {
    return this.sub.put('reported-scenes', r);
  }

  /** Last interface status the hub was told, by universe. */
  async reportedOutputs(): Promise<Record<string, 'up' | 'down'>> {
    return ((await this.sub.get('reported-outputs')) as Record<string, 'up' | 'down'> | undefined) ?? {};
  }

  putReportedOutputs(r: Record<string, 'up' | 'down'>): Promise<void> {
    return this.sub.put('reported-outputs', r);
  }
}
