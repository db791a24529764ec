import * as L from 'leaflet';

/**
 * Maps for the drone pages, on Leaflet. Sites often have no internet, so a map never
 * depends on tiles: it starts on a plain background with a lat/lon graticule and a
 * scale, which keeps a track's shape and size legible, and adds map tiles only once a
 * probe tile has loaded. The tile URL comes from the hub (`SARGS_MAP_TILES`), which
 * also allows that host in its Content-Security-Policy.
 */

const PROBE_TIMEOUT_MS = 3000;
/** Tile errors in a row, none loading in between: the tile server went away (the site lost its internet). */
const ERRORS_BEFORE_PLAIN = 6;
const STEPS = [30, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001];
const MAX_LINES = 8;

/** The tile URL template the hub configured (`{z}/{x}/{y}`, optional `{s}`), or none. */
export function tileUrl(): string | undefined {
  const content = document.querySelector<HTMLMetaElement>('meta[name="sargs-map-tiles"]')?.content.trim();
  return content ? content : undefined;
}

/** Loads one tile image; true if it arrives before the timeout. */
export function probeTiles(template: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const img = new Image();
    const timer = window.setTimeout(() => done(false), timeoutMs);
    const done = (ok: boolean) => {
      window.clearTimeout(timer);
      img.onload = img.onerror = null;
      if (!ok) img.src = '';
      resolve(ok);
    };
    img.onload = () => done(img.naturalWidth > 0);
    img.onerror = () => done(false);
    // A fresh URL each time: the browser would otherwise answer from its image cache after the server went away.
    const url = L.Util.template(template, { s: 'a', z: 0, x: 0, y: 0, r: '' });
    img.src = `${url}${url.includes('?') ? '&' : '?'}probe=${Date.now()}`;
  });
}

const attributionFor = (template: string) => {
  const host = new URL(template.replace(/\{s\}/g, 'a'), location.href).hostname;
  return /openstreetmap/.test(host) ? '© OpenStreetMap contributors' : `Map tiles: ${host}`;
};

const formatDeg = (v: number, step: number, pos: string, neg: string) => {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step)));
  return `${Math.abs(v).toFixed(decimals)}° ${v < 0 ? neg : pos}`;
};

const stepFor = (span: number) => STEPS.find((s) => span / s >= MAX_LINES / 2) ?? STEPS[STEPS.length - 1]!;

/** Latitude and longitude lines with labels, redrawn for the view after every move. */
class Graticule {
  private readonly layer = L.layerGroup();

  constructor(private readonly map: L.Map) {
    map.createPane('graticule').style.zIndex = '250';
    map.on('moveend zoomend resize', this.draw, this);
  }

  show(on: boolean): void {
    if (on) { this.layer.addTo(this.map); this.draw(); } else this.layer.remove();
  }

  destroy(): void {
    this.map.off('moveend zoomend resize', this.draw, this);
  }

  private draw(): void {
    if (!this.map.hasLayer(this.layer)) return;
    this.layer.clearLayers();
    const b = this.map.getBounds();
    const south = Math.max(-85, b.getSouth());
    const north = Math.min(85, b.getNorth());
    const west = b.getWest();
    const east = b.getEast();
    const latStep = stepFor(north - south);
    const lonStep = stepFor(east - west);
    const line = { pane: 'graticule', interactive: false, weight: 1, color: '#9aa5b8', className: 'graticule-line' };
    const label = (at: L.LatLngExpression, text: string, cls: string) => L.marker(at, {
      pane: 'graticule', interactive: false, keyboard: false,
      icon: L.divIcon({ className: `graticule-label ${cls}`, html: text, iconSize: undefined }),
    });
    for (let i = Math.ceil(south / latStep), n = 0; i * latStep <= north && n < 2 * MAX_LINES; i++, n++) {
      const lat = i * latStep;
      this.layer.addLayer(L.polyline([[lat, west], [lat, east]], line));
      this.layer.addLayer(label([lat, west], formatDeg(lat, latStep, 'N', 'S'), 'lat'));
    }
    for (let i = Math.ceil(west / lonStep), n = 0; i * lonStep <= east && n < 2 * MAX_LINES; i++, n++) {
      const lon = i * lonStep;
      this.layer.addLayer(L.polyline([[south, lon], [north, lon]], line));
      this.layer.addLayer(label([north, lon], formatDeg(((lon + 540) % 360) - 180, lonStep, 'E', 'W'), 'lon'));
    }
  }
}

export type MapBackground = 'probing' | 'tiles' | 'plain';

export interface DroneMap {
  map: L.Map;
  /** Zooms to show all these points (does nothing for none). */
  fit(points: L.LatLngExpression[], maxZoom?: number): void;
  destroy(): void;
}

/**
 * A map in `el` (which needs a height from CSS). `el.dataset.background` tells what it
 * shows: `probing`, then `tiles` or `plain`, and a note under the scale says so too.
 */
export function droneMap(el: HTMLElement): DroneMap {
  el.classList.add('drone-map', 'map-plain');
  el.dataset.background = 'probing';
  // Zoom buttons on the right: the latitude labels run down the left edge.
  const map = L.map(el, { minZoom: 2, maxZoom: 19, worldCopyJump: true, zoomControl: false }).setView([20, 0], 2);
  L.control.zoom({ position: 'topright' }).addTo(map);
  map.attributionControl.setPrefix('Leaflet');
  L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);
  const graticule = new Graticule(map);
  const note = new L.Control({ position: 'bottomleft' });
  const noteEl = L.DomUtil.create('div', 'map-note');
  note.onAdd = () => noteEl;
  note.addTo(map);

  let destroyed = false;
  const setBackground = (bg: MapBackground, why: string) => {
    el.dataset.background = bg;
    el.classList.toggle('map-plain', bg !== 'tiles');
    graticule.show(bg !== 'tiles');
    noteEl.textContent = why;
  };
  setBackground('probing', 'Plain background: looking for map tiles…');

  const template = tileUrl();
  if (!template) setBackground('plain', 'Plain background: no map tiles configured.');
  else {
    void probeTiles(template).then((ok) => {
      if (destroyed) return;
      if (!ok) { setBackground('plain', 'Plain background: map tiles are not reachable.'); return; }
      let failing = 0;
      const tiles = L.tileLayer(template, { maxZoom: 19, attribution: attributionFor(template) });
      tiles.on('tileload', () => { failing = 0; });
      tiles.on('tileerror', () => {
        if (++failing < ERRORS_BEFORE_PLAIN) return;
        tiles.remove();
        setBackground('plain', 'Plain background: map tiles stopped loading.');
      });
      tiles.addTo(map);
      setBackground('tiles', '');
    });
  }

  return {
    map,
    fit(points, maxZoom = 17) {
      if (!points.length) return;
      map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom });
    },
    destroy() {
      destroyed = true;
      graticule.destroy();
      map.remove();
    },
  };
}
