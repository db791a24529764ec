import { RequestError, type RequestRouter } from '../hub-link/request-router';
import { LightingError, type LightingController } from './lighting-controller';

/** The hub's lighting requests, answered by the controller; a refused one keeps its reason. */
export function registerLightingRequests(router: RequestRouter, lighting: LightingController): void {
  const answer = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof LightingError) throw new RequestError(err.code, err.message);
      throw err;
    }
  };
  router.on('lighting.state', () => lighting.state());
  router.on('lighting.override', ({ scene, state, minutes, by }) => answer(() => lighting.override(scene, state, minutes, by)));
  router.on('lighting.resume', ({ scene, by }) => answer(() => lighting.resume(scene, by)));
  router.on('lighting.configure', ({ setup, by }) => answer(() => lighting.configure(setup, by)));
}
