import type { RequestRouter } from '../hub-link/request-router';
import type { DroneManager } from './drone-manager';

/** The hub's questions about the agent's MAVLink side, answered by the drone manager. */
export function registerDroneRequests(router: RequestRouter, drones: DroneManager): void {
  router.on('drones.links', async () => ({ links: drones.linkStats() }));
}
