import type { LegalHoldView } from '@sargs/shared/protocol/requests';
import { api } from '../lib/api';
import { formValues, h } from '../lib/dom';
import { runExport } from '../video/export-panel';

const toIso = (local: string) => new Date(local).toISOString();
const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/**
 * Footage access for security staff: export a time range as one MP4 (the reason is
 * required and kept in the audit log with the file's SHA-256; progress and the hash are
 * shown as in the timeline's export panel), and legal holds that
 * keep a range from retention.
 */
export function footageTools(cameraId: string): HTMLElement {
  const now = new Date();
  const hourAgo = new Date(now.getTime() - 3600_000);
  const status = h('p', { class: 'note', role: 'status', 'data-testid': 'footage-status' });
  const holds = h('ul', { 'data-testid': 'holds' });
  const fields = () => [
    h('label', {}, 'From', h('input', { name: 'from', type: 'datetime-local', required: true, value: localInput(hourAgo) })),
    h('label', {}, 'To', h('input', { name: 'to', type: 'datetime-local', required: true, value: localInput(now) })),
    h('label', {}, 'Reason (kept in the audit log)', h('input', { name: 'reason', required: true, minlength: '5', maxlength: '500' })),
  ];
  const exported = h('div', { class: 'export-out' });
  const exportForm = h('form', { class: 'footage', id: 'export' }, ...fields(), h('button', { type: 'submit' }, 'Export MP4')) as HTMLFormElement;
  exportForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = formValues(exportForm);
    const button = exportForm.querySelector('button') as HTMLButtonElement;
    button.disabled = true;
    void runExport(cameraId, new Date(v.from ?? ''), new Date(v.to ?? ''), (v.reason ?? '').trim(), exported).finally(() => { button.disabled = false; });
  });

  const holdForm = h('form', { class: 'footage', id: 'hold' }, ...fields(), h('button', { type: 'submit' }, 'Place legal hold')) as HTMLFormElement;
  const loadHolds = () => api<{ holds: LegalHoldView[] }>('GET', `/api/cameras/${encodeURIComponent(cameraId)}/holds`).then((r) => {
    holds.replaceChildren(...(r.holds.length ? r.holds.map((x) => h('li', {}, `${new Date(x.from).toLocaleString()} – ${new Date(x.to).toLocaleString()}: ${x.reason} (by ${x.by}) `,
      h('button', { type: 'button', onclick: () => {
        const reason = prompt('Why is the hold released?');
        if (!reason) return;
        api('DELETE', `/api/cameras/${encodeURIComponent(cameraId)}/holds/${encodeURIComponent(x.id)}?reason=${encodeURIComponent(reason)}`).then(loadHolds, (err: Error) => { status.textContent = err.message; });
      } }, 'Release'))) : [h('li', {}, 'No legal holds.')]));
  }, (err: Error) => holds.replaceChildren(h('li', {}, err.message)));
  holdForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = formValues(holdForm);
    api('POST', `/api/cameras/${encodeURIComponent(cameraId)}/holds`, { from: toIso(v.from ?? ''), to: toIso(v.to ?? ''), reason: v.reason })
      .then(() => { status.textContent = 'Legal hold placed: retention will not delete this range.'; void loadHolds(); }, (err: Error) => { status.textContent = err.message; });
  });
  void loadHolds();
  return h('section', { class: 'card' }, h('h3', {}, 'Footage'), exportForm, exported, h('h4', {}, 'Legal holds'), holds, holdForm, status);
}
