import { EventEmitter } from 'node:events';
import { AgentEventData, type CameraHealth, type CameraList, type CameraView } from '@sargs/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { HubStore } from '../store/hub-store';
import type { AgentRecord, HubCameraRecord } from '../store/records';

const stateEventCheck = TypeCompiler.Compile(AgentEventData['camera.state']);

const sameHealth = (a: CameraHealth, b: CameraHealth) =>
  a.state === b.state && a.reason === b.reason && a.since === b.since && a.detail === b.detail;

/**
 * The hub's picture of every camera: the latest list each agent reports (lossy, live) and
 * the state changes that come through the outbox (durable, kept as history).
 */
export class CameraRegistry extends EventEmitter<{ camera: [CameraView] }> {
  constructor(private readonly store: HubStore, private readonly isOnline: (agentId: string) => boolean) {
    super();
    this.setMaxListeners(0);
  }

  view(c: HubCameraRecord): CameraView {
    return { agentId: c.agentId, siteId: c.siteId, info: c.info, health: c.health, current: this.isOnline(c.agentId) };
  }

  /**
   * Every camera record in memory, loaded once and written through: a state change must not
   * cost a database read per camera (3,200 cameras churning made the hub fall behind).
   */
  private cache: Promise<Map<string, HubCameraRecord>> | undefined;
  private records(): Promise<Map<string, HubCameraRecord>> {
    this.cache ??= this.store.listCameras().then((all) => new Map(all.map((c) => [`${c.agentId}!${c.info.id}`, c])));
    return this.cache;
  }

  /** The camera with this id (and so the agent that records it). */
  async find(cameraId: string): Promise<CameraView | undefined> {
    for (const c of (await this.records()).values()) if (c.info.id === cameraId) return this.view(c);
    return undefined;
  }

  async list(): Promise<CameraView[]> {
    const all = [...(await this.records()).values()];
    return all.sort((a, b) => a.info.name.localeCompare(b.info.name)).map((c) => this.view(c));
  }

  async applyList(agent: AgentRecord, list: CameraList): Promise<void> {
    const recs = await this.records();
    const changed: HubCameraRecord[] = [];
    for (const { info, health } of list.cameras) {
      const old = recs.get(`${agent.id}!${info.id}`);
      if (old && sameHealth(old.health, health) && JSON.stringify(old.info) === JSON.stringify(info)) continue;
      changed.push({ agentId: agent.id, siteId: agent.siteId, info, health, updatedAt: new Date().toISOString() });
    }
    if (!changed.length) return;
    await this.store.putCameras(changed);
    for (const rec of changed) {
      recs.set(`${rec.agentId}!${rec.info.id}`, rec);
      this.emit('camera', this.view(rec));
    }
  }

  /** Returns false when the event's data does not fit its schema (it is still stored as an event). */
  async applyStateEvent(agent: AgentRecord, data: unknown): Promise<boolean> {
    if (!stateEventCheck.Check(data)) return false;
    const h: CameraHealth = data;
    const recs = await this.records();
    const key = `${agent.id}!${h.cameraId}`;
    const cur = recs.get(key);
    // The live list usually got here first: push only what consoles have not seen yet.
    const newer = cur && cur.health.since <= h.since && !sameHealth(cur.health, h);
    const rec = newer ? { ...cur, health: h, updatedAt: new Date().toISOString() } : undefined;
    await this.store.recordCameraState(h, rec);
    if (rec) {
      recs.set(key, rec);
      this.emit('camera', this.view(rec));
    }
    return true;
  }

  /** The agent no longer records this camera: off the list (its state history stays). */
  async remove(agentId: string, cameraId: string): Promise<boolean> {
    const recs = await this.records();
    const key = `${agentId}!${cameraId}`;
    const had = recs.delete(key);
    await this.store.deleteCamera(agentId, cameraId);
    return had;
  }

  /** When an agent goes or comes back, its cameras' health becomes stale or current again. */
  async agentLiveness(agentId: string): Promise<void> {
    for (const c of (await this.records()).values()) if (c.agentId === agentId) this.emit('camera', this.view(c));
  }
}
