import { h } from '../lib/dom';

export interface Span { from: number; to: number; title?: string }

/** One camera's line on the timeline. */
export interface TimelineRow {
  label?: string;
  recorded: Span[];
  gaps: Span[];
  holds: Span[];
  exports: Span[];
}

export interface TimelineHandlers {
  /** A click, or the end of a drag: play from here. */
  seek(ms: number): void;
  /** The pointer is over `ms` (undefined: it left): a still may be shown. */
  hover?(ms: number | undefined): void;
  /** A shift-drag chose a range. */
  select?(from: number, to: number): void;
  /** Zoom or pan moved the window: the rows should be reloaded. */
  window?(from: number, to: number): void;
}

const HOUR = 3_600_000;
export const ZOOMS: { label: string; ms: number }[] = [
  { label: '1 h', ms: HOUR }, { label: '6 h', ms: 6 * HOUR }, { label: '24 h', ms: 24 * HOUR }, { label: '7 days', ms: 7 * 24 * HOUR },
];
/** Tick spacing per zoom, and how a tick is labelled. */
const TICKS = new Map<number, number>([[HOUR, 10 * 60_000], [6 * HOUR, HOUR], [24 * HOUR, 3 * HOUR], [7 * 24 * HOUR, 24 * HOUR]]);

/**
 * A timeline of recorded footage, drawn with plain elements: recorded stretches, gaps, legal
 * holds and exports per row, a playhead, hour ticks. Zoom 1 h / 6 h / 24 h / 7 days and pan move
 * the window; a click or drag anywhere plays from there; shift-drag selects a range; hovering
 * reports the time under the pointer (the owner shows a still there).
 */
export class Timeline {
  readonly el: HTMLElement;
  private readonly track: HTMLElement;
  private readonly rowsEl: HTMLElement;
  private readonly ticks: HTMLElement;
  private readonly head: HTMLElement;
  private readonly hoverLine: HTMLElement;
  private readonly selection: HTMLElement;
  private readonly preview: HTMLElement;
  private readonly previewImg: HTMLImageElement;
  private readonly previewText: HTMLElement;
  private readonly zoomButtons: HTMLButtonElement[];
  private span = HOUR;
  from: number;
  to: number;
  /** Follows the present as time passes (the window ends at now). */
  private following = true;
  private drag: { mode: 'seek' | 'select'; anchor: number } | undefined;

  constructor(private readonly on: TimelineHandlers, now = Date.now()) {
    this.to = now;
    this.from = now - this.span;
    this.rowsEl = h('div', { class: 'pb-rows' });
    this.ticks = h('div', { class: 'pb-ticks', 'aria-hidden': 'true' });
    this.head = h('div', { class: 'pb-head', hidden: true });
    this.hoverLine = h('div', { class: 'pb-hover', hidden: true });
    this.selection = h('div', { class: 'pb-sel', hidden: true });
    this.previewImg = h('img', { alt: '', 'data-testid': 'timeline-still' }) as HTMLImageElement;
    this.previewText = h('span', {});
    this.preview = h('div', { class: 'pb-preview', hidden: true }, this.previewImg, this.previewText);
    this.track = h('div', { class: 'pb-track', 'data-testid': 'playback-timeline', role: 'slider', 'aria-label': 'recorded footage: click or drag to play from a moment, shift-drag to select a range' },
      this.rowsEl, this.selection, this.hoverLine, this.head, this.preview, this.ticks);
    this.zoomButtons = ZOOMS.map((z) => h('button', { type: 'button', 'data-zoom': z.label, onclick: () => this.zoom(z.ms) }, z.label) as HTMLButtonElement);
    this.el = h('div', { class: 'pb-timeline' },
      h('div', { class: 'pb-zoom', role: 'group', 'aria-label': 'zoom' },
        h('button', { type: 'button', title: 'earlier', onclick: () => this.pan(-0.5) }, '◀'),
        ...this.zoomButtons,
        h('button', { type: 'button', title: 'later', onclick: () => this.pan(0.5) }, '▶'),
        h('button', { type: 'button', onclick: () => { this.following = true; this.setWindow(Date.now() - this.span, Date.now()); } }, 'Now')),
      this.track);
    this.pointer();
    this.markZoom();
    this.drawTicks();
  }

  /** Milliseconds at a client x. */
  msAt(clientX: number): number {
    const r = this.track.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (clientX - r.left) / Math.max(1, r.width)));
    return Math.round(this.from + f * (this.to - this.from));
  }

  setRows(rows: TimelineRow[]): void {
    this.rowsEl.replaceChildren(...rows.map((row) => h('div', { class: 'pb-row', ...(row.label ? { 'data-label': row.label } : {}) },
      ...this.spans(row.recorded, 'pb-rec'), ...this.spans(row.gaps, 'pb-gap'),
      ...this.spans(row.holds, 'pb-holdmark'), ...this.spans(row.exports, 'pb-exportmark'),
      row.label ? h('span', { class: 'pb-label' }, row.label) : null)));
  }

  setPlayhead(ms: number | undefined): void {
    this.head.hidden = !this.place(this.head, ms);
  }

  setSelection(range: { from: number; to: number } | undefined): void {
    if (!range) { this.selection.hidden = true; return; }
    const a = Math.max(range.from, this.from);
    const b = Math.min(range.to, this.to);
    this.selection.hidden = b <= a;
    this.selection.style.left = `${this.pct(a)}%`;
    this.selection.style.width = `${this.pct(b) - this.pct(a)}%`;
  }

  /** The still (or just the time) under the pointer. */
  showPreview(ms: number | undefined, imageUrl?: string, text?: string): void {
    if (ms === undefined || !this.place(this.preview, ms)) { this.preview.hidden = true; return; }
    this.preview.hidden = false;
    if (imageUrl) this.previewImg.src = imageUrl;
    this.previewImg.hidden = !imageUrl;
    this.previewText.textContent = text ?? new Date(ms).toLocaleString();
  }

  /** Keeps a window that ends at now moving with time. */
  tick(now = Date.now()): void {
    if (this.following && now - this.to > 1000) this.setWindow(now - this.span, now, false);
  }

  /** Moves the window so `ms` is in view (centred when it was outside). */
  reveal(ms: number): void {
    if (ms >= this.from && ms <= this.to) return;
    this.following = false;
    this.setWindow(ms - this.span / 2, ms + this.span / 2);
  }

  private zoom(ms: number): void {
    this.span = ms;
    const head = this.head.hidden ? undefined : Number(this.head.dataset.ms);
    const end = this.following || head === undefined ? Date.now() : Math.min(Date.now(), head + ms / 2);
    this.setWindow(end - ms, end);
  }

  private pan(fraction: number): void {
    const d = (this.to - this.from) * fraction;
    this.following = this.to + d >= Date.now();
    const end = Math.min(this.to + d, Date.now());
    this.setWindow(end - this.span, end);
  }

  private setWindow(from: number, to: number, notify = true): void {
    this.from = from;
    this.to = to;
    this.markZoom();
    this.drawTicks();
    if (notify) this.on.window?.(from, to);
  }

  private markZoom(): void {
    for (const [i, b] of this.zoomButtons.entries()) b.setAttribute('aria-pressed', String(ZOOMS[i]!.ms === this.span));
  }

  private drawTicks(): void {
    this.track.dataset.from = String(Math.round(this.from));
    this.track.dataset.to = String(Math.round(this.to));
    const step = TICKS.get(this.span) ?? this.span / 6;
    const offset = new Date().getTimezoneOffset() * 60_000;
    const first = Math.ceil((this.from - offset) / step) * step + offset;
    const marks: HTMLElement[] = [];
    for (let t = first; t <= this.to; t += step) {
      const d = new Date(t);
      const label = step >= 24 * HOUR ? d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' }) : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
      const m = h('span', {}, label);
      m.style.left = `${this.pct(t)}%`;
      marks.push(m);
    }
    this.ticks.replaceChildren(...marks);
  }

  private spans(list: Span[], cls: string): HTMLElement[] {
    return list.filter((s) => s.to > this.from && s.from < this.to).map((s) => {
      const a = Math.max(s.from, this.from);
      const b = Math.min(s.to, this.to);
      const el = h('span', { class: cls, ...(s.title ? { title: s.title } : {}) });
      el.style.left = `${this.pct(a)}%`;
      el.style.width = `${Math.max(0.15, this.pct(b) - this.pct(a))}%`;
      return el;
    });
  }

  private pct(ms: number): number { return ((ms - this.from) / (this.to - this.from)) * 100; }

  private place(el: HTMLElement, ms: number | undefined): boolean {
    if (ms === undefined || ms < this.from || ms > this.to) return false;
    el.style.left = `${this.pct(ms)}%`;
    el.dataset.ms = String(ms);
    return true;
  }

  private pointer(): void {
    const t = this.track;
    t.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      ev.preventDefault();
      t.setPointerCapture(ev.pointerId);
      const ms = this.msAt(ev.clientX);
      this.drag = { mode: ev.shiftKey ? 'select' : 'seek', anchor: ms };
      if (this.drag.mode === 'seek') this.setPlayhead(ms);
      else this.setSelection(undefined);
    });
    t.addEventListener('pointermove', (ev) => {
      const ms = this.msAt(ev.clientX);
      this.hoverLine.hidden = !this.place(this.hoverLine, ms);
      this.on.hover?.(ms);
      if (this.drag?.mode === 'seek') this.setPlayhead(ms);
      if (this.drag?.mode === 'select') this.setSelection({ from: Math.min(this.drag.anchor, ms), to: Math.max(this.drag.anchor, ms) });
    });
    t.addEventListener('pointerup', (ev) => {
      const d = this.drag;
      this.drag = undefined;
      if (!d) return;
      const ms = this.msAt(ev.clientX);
      if (d.mode === 'seek') this.on.seek(ms);
      else if (Math.abs(ms - d.anchor) >= 1000) this.on.select?.(Math.min(d.anchor, ms), Math.max(d.anchor, ms));
      else this.setSelection(undefined);
    });
    t.addEventListener('pointercancel', () => { this.drag = undefined; });
    t.addEventListener('pointerleave', () => {
      this.hoverLine.hidden = true;
      this.on.hover?.(undefined);
    });
  }
}
