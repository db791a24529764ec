import type { SessionUser } from '../lib/api';

/** Live grid: 1, 4, 9 or 16 tiles of cameras' sub-streams. */
export function gridPage(root: HTMLElement, _user: SessionUser): () => void {
  root.replaceChildren();
  return () => undefined;
}
