// Camera changes an agent reports through its outbox (durable, in order with its live lists).
import type { AgentGateway } from '../agents/agent-gateway';
import type { CameraRegistry } from './camera-registry';

/**
 * A camera the agent removed by itself (its operator, a script, a demo restarted with fewer
 * cameras) leaves the hub's list too; otherwise the hub would show it forever as a camera of
 * that site.
 */
export function followCameraRemovals(agents: Pick<AgentGateway, 'onEvent'>, cameras: CameraRegistry): void {
  agents.onEvent('camera.removed', async (agent, event) => {
    const cameraId = (event.data as { cameraId?: unknown } | null)?.cameraId;
    if (typeof cameraId === 'string') await cameras.remove(agent.id, cameraId);
  });
}
