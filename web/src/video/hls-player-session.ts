import { ApiError, api } from '../lib/api';
import { h } from '../lib/dom';

/**
 * A recorded viewing session as the console holds it: the reason is asked once, in an inline form
 * (never prompt()), the first time footage is wanted; the session is ended when the page is left
 * (or the tab closed), so the audit log says how long footage was watched. The hub also ends a
 * session after a minute without requests; a refused request drops it and the reason is asked again.
 */
export class PlaybackSession {
  /** The inline form, shown while a reason is wanted. */
  readonly el: HTMLElement;
  private current: string | undefined;
  private asking: Promise<string | undefined> | undefined;
  private settle: ((id: string | undefined) => void) | undefined;
  private readonly form: HTMLFormElement;
  private readonly note: HTMLElement;
  private readonly onPageHide = () => { if (this.current) navigator.sendBeacon(this.endUrl(this.current)); };

  constructor(private readonly cameraIds: string[]) {
    this.note = h('p', { class: 'note', role: 'status' });
    const input = h('input', { name: 'reason', required: true, minlength: '5', maxlength: '500', autocomplete: 'off', placeholder: 'e.g. incident 42: van at the gate' }) as HTMLInputElement;
    this.form = h('form', { class: 'pb-reason', hidden: true, 'data-testid': 'playback-reason' },
      h('label', {}, 'Why are you viewing this footage? (kept in the audit log)', input),
      h('button', { type: 'submit' }, 'Start viewing'),
      h('button', { type: 'button', onclick: () => this.finish(undefined) }, 'Cancel'),
      this.note) as HTMLFormElement;
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.note.textContent = 'Opening a viewing session…';
      api<{ id: string }>('POST', '/api/video/sessions', { cameraIds: this.cameraIds, reason: input.value.trim() }).then((r) => {
        this.current = r.id;
        this.finish(r.id);
      }, (err: Error) => { this.note.textContent = err.message; });
    });
    this.el = this.form;
    window.addEventListener('pagehide', this.onPageHide);
  }

  /** The open session's id, if there is one (no form shown). */
  get id(): string | undefined { return this.current; }

  /** The session's id, asking for the reason first if there is none; undefined if the user cancels. */
  ensure(): Promise<string | undefined> {
    if (this.current) return Promise.resolve(this.current);
    if (this.asking) return this.asking;
    this.form.hidden = false;
    this.note.textContent = '';
    (this.form.querySelector('input') as HTMLInputElement).focus();
    this.asking = new Promise((resolve) => { this.settle = resolve; });
    return this.asking;
  }

  /** The hub refused the session (it ended after a minute without requests): the next view asks again. */
  drop(why?: string): void {
    this.current = undefined;
    if (why) this.note.textContent = why;
  }

  /** Ends the session now (the page is left), keeping the request alive if the page goes away. */
  end(): void {
    window.removeEventListener('pagehide', this.onPageHide);
    this.finish(undefined);
    const id = this.current;
    this.current = undefined;
    if (id) void fetch(this.endUrl(id), { method: 'POST', credentials: 'same-origin', keepalive: true }).catch(() => undefined);
  }

  private endUrl(id: string): string { return `/api/video/sessions/${encodeURIComponent(id)}/end`; }

  private finish(id: string | undefined): void {
    this.form.hidden = true;
    const settle = this.settle;
    this.settle = undefined;
    this.asking = undefined;
    settle?.(id);
  }
}

/** True when an error means the session is gone (403 from a playback route). */
export function sessionRefused(err: unknown): boolean {
  return err instanceof ApiError && err.status === 403;
}
