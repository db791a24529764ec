import { once } from 'node:events';
import type { CameraView } from '@sargs/shared';
import WebSocket from 'ws';
import type { HubClient } from './hub-client';

export interface SeenCamera { at: number; view: CameraView }

/** The hub as a console sees it: every camera change pushed over the WebSocket, with when it arrived. */
export async function watchCameras(hubUrl: string, client: HubClient) {
  const ws = new WebSocket(`${hubUrl.replace('http', 'ws')}/console/ws`, { headers: { cookie: client.cookie! } });
  const seen: SeenCamera[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { type: string; body: CameraView & { cameras?: CameraView[] } };
    if (m.type === 'camera.changed') seen.push({ at: Date.now(), view: m.body });
    if (m.type === 'fleet.snapshot') for (const c of m.body.cameras ?? []) seen.push({ at: Date.now(), view: c });
  });
  await once(ws, 'open');
  const latest = (id: string) => [...seen].reverse().find((s) => s.view.info.id === id);
  return { ws, seen, latest };
}
