import type { CameraView, FleetSnapshot } from '@sargs/shared/protocol/index';
import { api, type SessionUser } from '../lib/api';
import { h } from '../lib/dom';
import { LivePlayer } from '../video/live-player';

type Size = 1 | 4 | 9 | 16;
interface Layout { name: string; size: Size; tiles: (string | null)[] }
const SIZES: Size[] = [1, 4, 9, 16];
const fit = (n: number): Size => SIZES.find((s) => s >= n) ?? 16;

/**
 * Live grid: 1, 4, 9 or 16 tiles, each a camera's sub-stream. A site fills the tiles with its
 * cameras, a saved layout (kept per user in the hub) brings back a chosen set, and each tile can be
 * given any camera. A click on a tile opens that camera's page. The choice is kept in the address
 * (`#/grid?size=4&cams=a,b,,d`, or `?site=…` / `?layout=…`) so it can be bookmarked.
 */
export function gridPage(root: HTMLElement, _user: SessionUser): () => void {
  let cameras: CameraView[] = [];
  let siteNames = new Map<string, string>();
  let layouts: Layout[] = [];
  let size: Size = 4;
  let tiles: (string | null)[] = [];
  const players = new Map<number, LivePlayer>();
  let stopped = false;

  const grid = h('div', { class: 'live-grid', 'data-testid': 'live-grid' });
  const status = h('p', { class: 'note', role: 'status' });
  const sizeSel = h('select', { name: 'size', onchange: () => { size = Number(sizeSel.value) as Size; render(); } },
    ...SIZES.map((s) => h('option', { value: String(s) }, `${s} ${s === 1 ? 'tile' : 'tiles'}`))) as HTMLSelectElement;
  const siteSel = h('select', { name: 'site', onchange: () => { if (siteSel.value) showSite(siteSel.value); } }) as HTMLSelectElement;
  const layoutSel = h('select', { name: 'layout', onchange: () => { if (layoutSel.value) showLayout(layoutSel.value); } }) as HTMLSelectElement;
  const nameInput = h('input', { name: 'name', placeholder: 'Layout name', maxlength: '64' }) as HTMLInputElement;
  const saveForm = h('form', { class: 'live-save' }, nameInput, h('button', { type: 'submit' }, 'Save layout'),
    h('button', { type: 'button', onclick: () => void remove() }, 'Delete layout')) as HTMLFormElement;
  saveForm.addEventListener('submit', (ev) => { ev.preventDefault(); void save(); });

  const label = (c: CameraView) => `${siteNames.get(c.siteId) ?? 'site'}: ${c.info.name}`;

  function tile(i: number): HTMLElement {
    players.get(i)?.stop();
    players.delete(i);
    const id = tiles[i] ?? null;
    const cam = id ? cameras.find((c) => c.info.id === id) : undefined;
    const pick = h('select', { 'aria-label': `camera in tile ${i + 1}`, onchange: (ev) => setTile(i, (ev.target as HTMLSelectElement).value || null) },
      h('option', { value: '' }, '— no camera —'),
      ...cameras.map((c) => h('option', { value: c.info.id, selected: c.info.id === id }, label(c)))) as HTMLSelectElement;
    if (!cam) return h('div', { class: 'live-tile empty', 'data-tile': String(i) }, h('div', { class: 'live-caption' }, pick));
    // A tile may keep up to 0.3 s in hand (the camera page 0.2 s): 16 tiles share one machine, and
    // a tile that runs dry drops frames (web/src/video/live-player.ts).
    const player = new LivePlayer(cam.info.id, 'sub', 0.3);
    players.set(i, player);
    player.el.title = `Open ${cam.info.name}`;
    player.el.addEventListener('click', () => { location.hash = `#/cameras/${encodeURIComponent(cam.info.id)}`; });
    const el = h('div', { class: 'live-tile', 'data-tile': String(i), 'data-camera': cam.info.id },
      player.el, h('div', { class: 'live-caption' }, h('span', {}, cam.info.name), pick));
    player.start();
    return el;
  }

  function setTile(i: number, id: string | null): void {
    tiles[i] = id;
    grid.children[i]?.replaceWith(tile(i));
    remember();
  }

  function render(): void {
    for (const p of players.values()) p.stop();
    players.clear();
    sizeSel.value = String(size);
    grid.style.setProperty('--cols', String(Math.sqrt(size)));
    grid.replaceChildren(...Array.from({ length: size }, (_, i) => tile(i)));
    remember();
  }

  /** The choice in the address, without reloading the page. */
  function remember(): void {
    const cams = tiles.slice(0, size).map((t) => t ?? '').join(',');
    history.replaceState(null, '', `#/grid?size=${size}&cams=${encodeURIComponent(cams)}`);
  }

  function showSite(siteId: string): void {
    const list = cameras.filter((c) => c.siteId === siteId).map((c) => c.info.id);
    size = fit(list.length);
    tiles = list.slice(0, size);
    layoutSel.value = '';
    render();
  }

  function showLayout(name: string): void {
    const l = layouts.find((x) => x.name === name);
    if (!l) return;
    size = l.size;
    tiles = [...l.tiles];
    nameInput.value = l.name;
    siteSel.value = '';
    render();
  }

  function fillLayouts(selected = ''): void {
    layoutSel.replaceChildren(h('option', { value: '' }, layouts.length ? 'Saved layouts…' : 'No saved layouts'),
      ...layouts.map((l) => h('option', { value: l.name, selected: l.name === selected }, `${l.name} (${l.size})`)));
  }

  async function store(next: Layout[], done: string): Promise<void> {
    try {
      layouts = (await api<{ layouts: Layout[] }>('PUT', '/api/video/layouts', { layouts: next })).layouts;
      status.textContent = done;
    } catch (err) {
      status.textContent = `Could not save: ${(err as Error).message}`;
    }
  }

  async function save(): Promise<void> {
    const name = nameInput.value.trim();
    if (!name) { status.textContent = 'Give the layout a name first.'; return; }
    const mine: Layout = { name, size, tiles: tiles.slice(0, size).map((t) => t ?? null) };
    await store([...layouts.filter((l) => l.name !== name), mine], `Saved layout "${name}".`);
    fillLayouts(name);
  }

  async function remove(): Promise<void> {
    const name = layoutSel.value || nameInput.value.trim();
    if (!layouts.some((l) => l.name === name)) { status.textContent = 'Choose a saved layout to delete.'; return; }
    await store(layouts.filter((l) => l.name !== name), `Deleted layout "${name}".`);
    fillLayouts();
  }

  root.replaceChildren(h('div', {},
    h('h2', {}, 'Live'),
    h('section', { class: 'card live-toolbar' },
      h('label', {}, 'Tiles', sizeSel), h('label', {}, 'Site', siteSel), h('label', {}, 'Layout', layoutSel), saveForm, status),
    grid));

  void Promise.all([api<FleetSnapshot>('GET', '/api/fleet'), api<{ layouts: Layout[] }>('GET', '/api/video/layouts')]).then(([fleet, saved]) => {
    if (stopped) return;
    cameras = fleet.cameras;
    siteNames = new Map(fleet.sites.map((s) => [s.id, s.name]));
    layouts = saved.layouts;
    siteSel.replaceChildren(h('option', { value: '' }, 'Choose a site…'),
      ...fleet.sites.filter((s) => cameras.some((c) => c.siteId === s.id)).map((s) => h('option', { value: s.id }, s.name)));
    fillLayouts();
    const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
    const wanted = Number(q.get('size'));
    if (q.get('layout') && layouts.some((l) => l.name === q.get('layout'))) { layoutSel.value = q.get('layout')!; return showLayout(q.get('layout')!); }
    if (q.get('site')) { siteSel.value = q.get('site')!; return showSite(q.get('site')!); }
    if (q.has('cams')) {
      size = SIZES.includes(wanted as Size) ? wanted as Size : 4;
      tiles = q.get('cams')!.split(',').map((t) => t || null);
      return render();
    }
    const first = fleet.sites.find((s) => cameras.some((c) => c.siteId === s.id));
    if (first) { siteSel.value = first.id; return showSite(first.id); }
    status.textContent = 'No cameras yet: add some on a site\'s page.';
    render();
  }).catch((err: Error) => { status.textContent = err.message; });

  return () => {
    stopped = true;
    for (const p of players.values()) p.stop();
    players.clear();
  };
}
