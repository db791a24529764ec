import type { SiteView } from '@sargs/shared/protocol/console-link';
import type { RetentionPolicyView } from '@sargs/shared/protocol/requests';
import { api, type SessionUser } from '../lib/api';
import { formValues, h } from '../lib/dom';

interface CameraEffect { cameraId: string; bytes: number; oldest?: string; newest?: string; daysRetained: number; bytesPerDay: number | null }
interface RetentionView {
  set: { policy: RetentionPolicyView; setBy: string; setAt: string; applied?: { at: string } } | null;
  storage: { disk: { totalBytes: number; freeBytes: number; floorBytes: number }; cameras: CameraEffect[]; daysUntilFloor: number | null } | null;
}

const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;

/** Per site: the retention policy, whether the site applied it, and what it does to the disk. */
export function storagePage(root: HTMLElement, user: SessionUser): () => void {
  const body = h('div', {}, h('p', {}, 'Loading…'));
  const siteCard = (site: SiteView, v: RetentionView): HTMLElement => {
    const p = v.set?.policy;
    const state = !v.set ? 'Site default from the agent configuration (72 hours unless set).'
      : v.set.applied ? `Set by ${v.set.setBy}, applied by the site ${new Date(v.set.applied.at).toLocaleString()}.`
        : `Set by ${v.set.setBy}; waiting for the site to apply it (its agent is offline).`;
    const s = v.storage;
    const form = h('form', { class: 'footage', 'data-site': site.id },
      h('label', {}, 'Keep footage (hours)', h('input', { name: 'maxAgeHours', type: 'number', min: '1', step: '1', value: String(p?.maxAgeHours ?? 72), required: true })),
      h('label', {}, 'Free-space floor (%)', h('input', { name: 'minFreePercent', type: 'number', min: '0', max: '90', value: String(p?.minFreePercent ?? 10), required: true })),
      h('label', {}, 'Purpose (required above 72 h)', h('input', { name: 'purpose', value: p?.purpose ?? '', maxlength: '1000' })),
      h('button', { type: 'submit' }, 'Set policy')) as HTMLFormElement;
    const note = h('p', { class: 'note', role: 'status' });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = formValues(form);
      const policy = { maxAgeHours: Number(f.maxAgeHours), minFreePercent: Number(f.minFreePercent), ...(f.purpose?.trim() ? { purpose: f.purpose.trim() } : {}) };
      api<{ pending: boolean }>('PUT', `/api/sites/${site.id}/retention`, policy)
        .then((r) => { note.textContent = r.pending ? 'Saved; the site applies it when its agent reconnects.' : 'Applied by the site.'; void load(); },
          (err: Error) => { note.textContent = err.message; });
    });
    return h('section', { class: 'card', 'data-site': site.id },
      h('h3', {}, site.name),
      h('p', {}, state),
      s ? h('p', {}, `Disk: ${gb(s.disk.freeBytes)} free of ${gb(s.disk.totalBytes)}, floor ${gb(s.disk.floorBytes)}. ` +
        (s.daysUntilFloor === null ? 'Not enough history to project.' : `At the current rate the floor is reached in ${s.daysUntilFloor} days.`)) : h('p', {}, 'The site agent is offline: no live figures.'),
      s ? h('table', {}, h('thead', {}, h('tr', {}, ...['Camera', 'Stored', 'Oldest', 'Days kept', 'Per day'].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...s.cameras.map((c) => h('tr', {}, h('td', {}, c.cameraId), h('td', {}, gb(c.bytes)),
          h('td', {}, c.oldest ? new Date(c.oldest).toLocaleString() : '–'), h('td', {}, c.daysRetained.toFixed(2)),
          h('td', {}, c.bytesPerDay ? gb(c.bytesPerDay) : '–'))))) : null,
      user.role === 'admin' ? form : null, note);
  };
  const load = async () => {
    const fleet = await api<{ sites: SiteView[] }>('GET', '/api/fleet');
    const cards = await Promise.all(fleet.sites.map(async (site) => siteCard(site, await api<RetentionView>('GET', `/api/sites/${site.id}/retention`))));
    body.replaceChildren(...(cards.length ? cards : [h('p', {}, 'No sites yet.')]));
  };
  load().catch((err: Error) => body.replaceChildren(h('p', { class: 'error' }, err.message)));
  root.replaceChildren(h('div', {}, h('h2', {}, 'Storage and retention'),
    h('p', { class: 'note' }, 'Footage is personal data: keep it as briefly as the purpose allows (EDPB Guidelines 3/2019: in most cases a few days; beyond 72 hours, record why).'),
    body));
  return () => undefined;
}
