import { ApiError, api } from '../lib/api';
import { h } from '../lib/dom';

interface Created { id: string; bytes: number; startsAt: string; durationS: number; gaps: { from: string; to: string }[] }
interface Status { state: 'ready' | 'sending' | 'done' | 'failed'; bytes: number; bytesSent: number; sha256?: string; error?: string }

const POLL_MS = 500;

/** "45.6 MB" */
export function sizeText(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = -1;
  do { v /= 1000; u++; } while (v >= 1000 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** "1 h 02 min 05 s", "4 min 10 s", "12 s" */
function durationText(s: number): string {
  const t = Math.round(s);
  const hh = Math.floor(t / 3600);
  const mm = Math.floor((t % 3600) / 60);
  const ss = t % 60;
  if (hh) return `${hh} h ${String(mm).padStart(2, '0')} min ${String(ss).padStart(2, '0')} s`;
  return mm ? `${mm} min ${String(ss).padStart(2, '0')} s` : `${ss} s`;
}

const when = (iso: string | Date) => new Date(iso).toLocaleString();

/**
 * Runs one export into `out`: asks the hub to prepare it, starts the download with a plain
 * link (so the browser streams it to disk), then polls its status every half second for a
 * progress bar and, at the end, the file's size and SHA-256, the same as in the audit log.
 * Every failure is shown as the hub's sentence. Resolves when the export is done or failed.
 */
export async function runExport(cameraId: string, from: Date, to: Date, reason: string, out: HTMLElement): Promise<void> {
  const note = h('p', { class: 'note', role: 'status' }, 'Preparing the export at the site…');
  out.replaceChildren(note);
  const fail = (message: string) => out.replaceChildren(h('p', { class: 'export-error', role: 'alert', 'data-testid': 'export-error' }, message));
  let created: Created;
  try {
    created = await api<Created>('POST', '/api/video/exports', { cameraId, from: from.toISOString(), to: to.toISOString(), reason });
  } catch (err) {
    fail(err instanceof ApiError ? err.message : 'The hub could not be reached; try again.');
    return;
  }
  const progress = h('progress', { 'data-testid': 'export-progress', max: String(created.bytes), value: '0' }) as HTMLProgressElement;
  const sent = h('span', { class: 'export-sent' }, `0 of ${sizeText(created.bytes)}`);
  const gaps = created.gaps.length ? ` It has ${created.gaps.length === 1 ? 'a gap' : `${created.gaps.length} gaps`} with no recording: ${created.gaps.map((g) => `${when(g.from)} – ${when(g.to)}`).join(', ')}.` : '';
  note.textContent = `Downloading ${sizeText(created.bytes)}: ${durationText(created.durationS)} from ${when(created.startsAt)} (the keyframe at or before the start).${gaps}`;
  out.replaceChildren(note, h('div', { class: 'export-bar' }, progress, sent));
  // A plain link: the browser streams the file to disk instead of holding it in memory.
  const link = h('a', { href: `/api/video/exports/${created.id}/download`, download: '', hidden: true }) as HTMLAnchorElement;
  out.append(link);
  link.click();
  link.remove();

  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (!out.isConnected) return; // the page moved on; the download goes on in the browser
    let s: Status;
    try {
      s = await api<Status>('GET', `/api/video/exports/${created.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) return void fail(err.message);
      continue; // the hub is restarting or the network hiccupped: ask again
    }
    progress.value = s.bytesSent;
    sent.textContent = `${sizeText(s.bytesSent)} of ${sizeText(s.bytes)}`;
    if (s.state === 'failed') return void fail(`The export failed: ${s.error ?? 'no reason given'}.`);
    if (s.state === 'done') {
      out.replaceChildren(h('p', { class: 'export-done', role: 'status' },
        'Done: ', h('span', { 'data-testid': 'export-size' }, `${sizeText(s.bytes)} (${s.bytes.toLocaleString('en')} bytes)`),
        ', SHA-256 ', h('code', { 'data-testid': 'export-sha256' }, s.sha256 ?? '')));
      return;
    }
  }
}

/**
 * Export of a chosen range of one camera (the timeline calls it when a range is selected):
 * shows the range, asks why the footage is needed (kept in the audit log), then exports.
 */
export function exportPanel(cameraId: string, from: Date, to: Date): HTMLElement {
  const out = h('div', { class: 'export-out' });
  const reason = h('input', { name: 'reason', required: true, minlength: '5', maxlength: '500', placeholder: 'e.g. police request 2026/117' }) as HTMLInputElement;
  const button = h('button', { type: 'submit' }, 'Export MP4') as HTMLButtonElement;
  const form = h('form', { class: 'export-form' }, h('label', {}, 'Reason (kept in the audit log)', reason), button) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    button.disabled = true;
    void runExport(cameraId, from, to, reason.value.trim(), out).finally(() => { button.disabled = false; });
  });
  return h('section', { class: 'export-panel', 'data-testid': 'export-panel' },
    h('p', { class: 'export-range' }, `Export ${when(from)} – ${when(to)} (${durationText((to.getTime() - from.getTime()) / 1000)})`),
    form, out);
}
