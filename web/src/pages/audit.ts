import { api } from '../lib/api';
import { formValues, h } from '../lib/dom';

interface Entry { seq: number; at: string; actor: string; action: string; target?: string; reason?: string; details?: Record<string, unknown> }
interface Verify { ok: boolean; entries: number; firstBroken?: { seq: number; problem: string; detail?: string } }

/** The audit trail for admins: filter it, page back through it, and check that nothing was altered. */
export function auditPage(root: HTMLElement): () => void {
  const rows = h('tbody', {});
  const status = h('p', { 'data-testid': 'audit-verify', role: 'status' });
  const more = h('button', { type: 'button' }, 'Older entries');
  let before: number | undefined;
  let filters: Record<string, string> = {};

  const load = (reset: boolean) => {
    if (reset) { rows.replaceChildren(); before = undefined; }
    const q = new URLSearchParams({ limit: '100', ...filters, ...(before ? { before: String(before) } : {}) });
    api<{ entries: Entry[]; next: number | null }>('GET', `/api/audit?${q.toString()}`).then((r) => {
      rows.append(...r.entries.map((e) => h('tr', { 'data-seq': String(e.seq) },
        h('td', {}, String(e.seq)), h('td', {}, new Date(e.at).toLocaleString()), h('td', {}, e.actor), h('td', {}, e.action),
        h('td', {}, e.target ?? ''), h('td', {}, e.reason ?? ''), h('td', { class: 'note' }, e.details ? JSON.stringify(e.details) : ''))));
      before = r.next ?? undefined;
      more.hidden = !r.next;
    }, (err: Error) => { status.textContent = err.message; });
  };
  more.addEventListener('click', () => load(false));

  const filter = h('form', { class: 'filters' },
    h('input', { name: 'actor', placeholder: 'user' }), h('input', { name: 'action', placeholder: 'action, e.g. footage.export' }),
    h('input', { name: 'target', placeholder: 'camera or user' }), h('button', { type: 'submit' }, 'Filter')) as HTMLFormElement;
  filter.addEventListener('submit', (ev) => {
    ev.preventDefault();
    filters = Object.fromEntries(Object.entries(formValues(filter)).filter(([, v]) => v.trim()));
    load(true);
  });

  const verify = () => {
    status.textContent = 'Checking the chain…';
    api<Verify>('GET', '/api/audit/verify').then((v) => {
      status.textContent = v.ok ? `Intact: ${v.entries} entries, every hash and link checks out.`
        : `BROKEN at entry #${v.firstBroken?.seq}: ${v.firstBroken?.problem}${v.firstBroken?.detail ? ` (${v.firstBroken.detail})` : ''}`;
      status.className = v.ok ? '' : 'error';
    }, (err: Error) => { status.textContent = err.message; });
  };

  root.replaceChildren(h('div', {},
    h('h2', {}, 'Audit log'),
    h('p', {}, h('button', { type: 'button', onclick: verify }, 'Verify the chain'), ' ', status),
    filter,
    h('table', {}, h('thead', {}, h('tr', {}, ...['#', 'When', 'Who', 'What', 'On', 'Why', 'Details'].map((t) => h('th', {}, t)))), rows),
    more));
  load(true);
  verify();
  return () => undefined;
}
