import type { AreaGeometry } from '@sargs/shared/survey/geojson';
import type { UasZone } from '@sargs/shared/survey/zones-ed269';
import type { Level } from 'level';

/** A survey area a pilot saved for a site. */
export interface SavedArea {
  id: string;
  siteId: string;
  name: string;
  geometry: AreaGeometry;
  areaM2: number;
  createdAt: string;
  createdBy: string;
}

/** The UAS geographical zones of one ED-269 file, for every site (`global`) or one site. */
export interface ZoneSet {
  scope: 'global' | { siteId: string };
  fileName: string | null;
  uploadedAt: string;
  uploadedBy: string;
  zones: UasZone[];
}

type Sub<V> = ReturnType<Level<string, unknown>['sublevel']> & { get(key: string): Promise<V | undefined> };

const areaKey = (siteId: string, id: string) => `${siteId}!${id}`;
const zoneKey = (scope: ZoneSet['scope']) => (scope === 'global' ? 'global' : `site!${scope.siteId}`);

/** Saved areas and zone files, in their own sublevels of the hub's LevelDB. */
export class SurveyStore {
  private readonly areas: Sub<SavedArea>;
  private readonly zones: Sub<ZoneSet>;

  constructor(db: Level<string, unknown>) {
    this.areas = db.sublevel<string, SavedArea>('survey-areas', { valueEncoding: 'json' }) as unknown as Sub<SavedArea>;
    this.zones = db.sublevel<string, ZoneSet>('survey-zones', { valueEncoding: 'json' }) as unknown as Sub<ZoneSet>;
  }

  async listAreas(siteId: string): Promise<SavedArea[]> {
    const all = (await this.areas.values({ gte: `${siteId}!`, lt: `${siteId}!\xff` }).all()) as SavedArea[];
    return all.sort((a, b) => a.name.localeCompare(b.name));
  }

  getArea(siteId: string, id: string): Promise<SavedArea | undefined> {
    return this.areas.get(areaKey(siteId, id)) as Promise<SavedArea | undefined>;
  }

  putArea(a: SavedArea): Promise<void> {
    return this.areas.put(areaKey(a.siteId, a.id), a);
  }

  deleteArea(siteId: string, id: string): Promise<void> {
    return this.areas.del(areaKey(siteId, id));
  }

  getZones(scope: ZoneSet['scope']): Promise<ZoneSet | undefined> {
    return this.zones.get(zoneKey(scope)) as Promise<ZoneSet | undefined>;
  }

  putZones(set: ZoneSet): Promise<void> {
    return this.zones.put(zoneKey(set.scope), set);
  }

  /** The zones a plan at this site is checked against: the global file's and the site's own. */
  async zonesFor(siteId: string | undefined): Promise<UasZone[]> {
    const global = await this.getZones('global');
    const site = siteId ? await this.getZones({ siteId }) : undefined;
    return [...(global?.zones ?? []), ...(site?.zones ?? [])];
  }
}
