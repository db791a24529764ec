import type { SessionUser } from '../lib/api';

/** Up to four cameras of one site played back side by side, in step. */
export function syncPlaybackPage(root: HTMLElement, _user: SessionUser): () => void {
  root.replaceChildren();
  return () => undefined;
}
