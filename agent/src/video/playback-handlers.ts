import type { AgentVideoDeps } from './video-deps';

export function registerPlayback(_deps: AgentVideoDeps): void {
  // Filled in by the work on issue #15.
}
