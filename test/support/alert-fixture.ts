import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CameraHealth } from '@sargs/shared';
import { Fleet } from '@sargs/hub/fleet/fleet';
import { HubStore } from '@sargs/hub/store/hub-store';
import type { AgentRecord, HubCameraRecord } from '@sargs/hub/store/records';
import type { Clock, TimerHandle } from '@sargs/hub/alerts/clock';
import type { AlertLog } from '@sargs/hub/alerts/log';

/** A clock that only moves when the test says so; due timers run in order as it passes them. */
export class FakeClock implements Clock {
  private t = Date.parse('2026-03-01T08:00:00Z');
  private n = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(private readonly settle: () => Promise<void> = async () => undefined) {}

  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.timers.set(++this.n, { at: this.t + ms, fn });
    return this.n as unknown as TimerHandle;
  }
  clearTimeout(h: TimerHandle): void { this.timers.delete(h as unknown as number); }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await this.settle();
    while (true) {
      const next = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      await this.settle();
    }
    this.t = end;
  }
}

export const silentLog: AlertLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A hub store in a temp dir with one site, one agent and helpers to play camera and agent changes. */
export async function alertFixture(dir = mkdtempSync(join(tmpdir(), 'sargs-alerts-'))) {
  const store = await HubStore.open(join(dir, 'hub.db'));
  const fleet = new Fleet(store);
  const agent: AgentRecord = {
    id: 'ag1', siteId: 'site1', name: 'Gatehouse', tokenHash: 'x', createdAt: '2026-01-01T00:00:00Z',
    revoked: false, lastSeen: '2026-03-01T07:59:00Z', version: null, hostname: null, lastSeq: 0,
  };
  await store.putSite({ id: 'site1', name: 'Parish', createdAt: '2026-01-01T00:00:00Z' });
  await store.putAgent(agent);
  fleet.setLive(agent, { online: true });
  const camera = async (id: string, state: CameraHealth['state'], reason: CameraHealth['reason'] = null) => {
    const rec: HubCameraRecord = {
      agentId: agent.id, siteId: agent.siteId, updatedAt: new Date().toISOString(),
      info: { id, name: `Cam ${id}`, deviceUrl: 'http://127.0.0.1/onvif' },
      health: { cameraId: id, state, reason, since: new Date().toISOString() },
    };
    await store.putCamera(rec);
    fleet.emit('camera', fleet.cameras.view(rec));
  };
  return {
    dir, store, fleet, agent, camera,
    setOnline: (online: boolean) => fleet.setLive(agent, { online }),
    async close(removeDir = true) { await store.close(); if (removeDir) rmSync(dir, { recursive: true, force: true }); },
  };
}
