import { registerExport } from './export-handler';
import { registerLive } from './live-handler';
import { registerPlayback } from './playback-handlers';
import type { AgentVideoDeps } from './video-deps';

/** Every media op the agent serves, on its media link. */
export function registerVideo(deps: AgentVideoDeps): void {
  registerLive(deps);
  registerPlayback(deps);
  registerExport(deps);
}
