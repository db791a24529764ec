import type { Logger } from 'pino';
import type { CameraManager } from '../cameras/camera-manager';
import type { MediaLink } from './media-link';

/** What the agent's video handlers work with. */
export interface AgentVideoDeps {
  media: MediaLink;
  cameras: CameraManager;
  recordingsDir: string;
  log: Logger;
}
