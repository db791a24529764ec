/** The camera page's timeline, recorded playback and export. */
export function playbackPanel(_cameraId: string, _role: string): { el: HTMLElement | null; stop: () => void } {
  return { el: null, stop: () => undefined };
}
