/** The camera page's live view. */
export function livePanel(_cameraId: string, _role: string): { el: HTMLElement | null; stop: () => void } {
  return { el: null, stop: () => undefined };
}
