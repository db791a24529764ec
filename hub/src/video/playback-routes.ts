import type { FastifyInstance } from 'fastify';
import type { VideoDeps } from './video-deps';

export function playbackRoutes(_app: FastifyInstance, _deps: VideoDeps): void {
  // Filled in by the work on issue #15.
}
