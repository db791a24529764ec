import { h } from '../lib/dom';
import { LivePlayer } from './live-player';

/** The camera page's live view: the main stream, with a switch to the sub-stream. None for pilots. */
export function livePanel(cameraId: string, role: string): { el: HTMLElement | null; stop: () => void } {
  if (role === 'pilot') return { el: null, stop: () => undefined };
  const player = new LivePlayer(cameraId, 'main');
  const choice = (value: 'main' | 'sub', text: string) => h('label', { class: 'live-choice' },
    h('input', { type: 'radio', name: `live-stream-${cameraId}`, value, checked: value === 'main', onchange: () => player.setStream(value) }), text);
  const el = h('section', { class: 'card live-view', 'data-testid': 'live-panel' },
    h('h3', {}, 'Live'),
    player.el,
    h('div', { class: 'live-controls', role: 'radiogroup', 'aria-label': 'stream' }, choice('main', 'Main stream'), choice('sub', 'Sub-stream (smaller)')));
  player.start();
  return { el, stop: () => player.stop() };
}
