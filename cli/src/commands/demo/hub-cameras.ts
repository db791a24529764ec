// The hub keeps every camera an agent has ever listed: an agent's own camera.removed event does
// not take it off the hub's list (only a removal through the hub's API does). A demo restarted
// on a folder where earlier runs removed cameras at the agent would show them twice, so the
// demo, which runs the hub in the same process, makes the hub's list for its agent match the
// agent's.
import type { RunningHub } from '@sargs/hub';
import type { CameraView } from '@sargs/shared';

/**
 * Removes the agent's cameras the hub lists but the agent no longer has, now and whenever a
 * list the agent sent before it dropped them arrives late. Returns a function that stops watching.
 */
export async function matchHubCameras(hub: RunningHub, agentId: string, agentHas: readonly string[]): Promise<() => void> {
  const has = new Set(agentHas);
  const gone = new Set<string>();
  const drop = async (cameraId: string) => {
    gone.add(cameraId);
    await hub.store.deleteCamera(agentId, cameraId);
    hub.fleet.cameras.forget(agentId, cameraId);
  };
  for (const cam of await hub.fleet.cameras.list()) {
    if (cam.agentId === agentId && !has.has(cam.info.id)) await drop(cam.info.id);
  }
  const late = (view: CameraView) => {
    if (view.agentId === agentId && gone.has(view.info.id)) void drop(view.info.id);
  };
  hub.fleet.cameras.on('camera', late);
  return () => { hub.fleet.cameras.off('camera', late); };
}
