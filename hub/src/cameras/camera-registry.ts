import { EventEmitter } from 'node:events';
import { AgentEventData, type CameraHealth, type CameraList, type CameraView } from '@sargs/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { HubStore } from '../store/hub-store';
import type { AgentRecord, HubCameraRecord } from '../store/records';

const stateEventCheck = TypeCompiler.Compile(AgentEventData['camera.state']);

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

  async list(): Promise<CameraView[]> {
    const all = await this.store.listCameras();
    return all.sort((a, b) => a.info.name.localeCompare(b.info.name)).map((c) => this.view(c));
  }

  async applyList(agent: AgentRecord, list: CameraList): Promise<void> {
    for (const { info, health } of list.cameras) {
      const old = await this.store.getCamera(agent.id, info.id);
      if (old && JSON.stringify(old.info) === JSON.stringify(info) && old.health.state === health.state && old.health.reason === health.reason) continue;
      const rec: HubCameraRecord = { agentId: agent.id, siteId: agent.siteId, info, health, updatedAt: new Date().toISOString() };
      await this.store.putCamera(rec);
      this.emit('camera', this.view(rec));
    }
  }

  /** Returns false when the event's data does not fit its schema (it is still stored as an event). */
  async applyStateEvent(agent: AgentRecord, data: unknown): Promise<boolean> {
    if (!stateEventCheck.Check(data)) return false;
    const h: CameraHealth = data;
    await this.store.appendCameraHistory(h);
    const cur = await this.store.getCamera(agent.id, h.cameraId);
    if (cur && cur.health.since <= h.since) {
      const rec = { ...cur, health: h, updatedAt: new Date().toISOString() };
      await this.store.putCamera(rec);
      this.emit('camera', this.view(rec));
    }
    return true;
  }

  /** When an agent goes or comes back, its cameras' health becomes stale or current again. */
  async agentLiveness(agentId: string): Promise<void> {
    for (const c of await this.store.listCameras()) if (c.agentId === agentId) this.emit('camera', this.view(c));
  }
}
