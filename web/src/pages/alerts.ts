import type { Alert, AlertList } from '@sargs/shared/protocol/alerts';
import { api } from '../lib/api';
import { h } from '../lib/dom';
import { LiveLink } from '../lib/live';

const linkLabel = document.getElementById('link') as HTMLElement;
const time = (iso: string) => new Date(iso).toLocaleString();

/** Alerts, newest first, updated live; an operator acknowledges one with a comment. */
export function alertsPage(root: HTMLElement): () => void {
  const alerts = new Map<string, Alert>();
  const list = h('div', { 'data-testid': 'alerts' });
  const count = h('p', { 'data-testid': 'unacknowledged' });

  const row = (a: Alert) => {
    const state = a.acknowledged ? `acknowledged by ${a.acknowledged.by}: ${a.acknowledged.comment}` : a.severity === 'info' ? '' : 'not acknowledged';
    const ack = h('form', { class: 'ack' }, h('input', { name: 'comment', placeholder: 'comment', required: true, maxlength: '1000' }), h('button', { type: 'submit' }, 'Acknowledge')) as HTMLFormElement;
    ack.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const comment = (ack.elements.namedItem('comment') as HTMLInputElement).value;
      api('POST', `/api/alerts/${encodeURIComponent(a.id)}/ack`, { comment }).catch((err: Error) => { ack.replaceChildren(h('span', { class: 'error' }, err.message)); });
    });
    return h('tr', { 'data-alert': a.id, class: `sev-${a.severity}${a.resolvedAt ? ' resolved' : ''}` },
      h('td', {}, a.severity),
      h('td', {}, h('strong', {}, a.title), h('br', {}), a.detail, a.occurrences > 1 ? ` (×${a.occurrences})` : ''),
      h('td', {}, time(a.raisedAt), a.resolvedAt ? h('div', { class: 'note' }, `resolved ${time(a.resolvedAt)}`) : null),
      h('td', { 'data-testid': 'ack-state' }, state, !a.acknowledged && a.severity !== 'info' ? ack : null));
  };

  const render = (unack: number) => {
    count.textContent = `${unack} alert${unack === 1 ? '' : 's'} waiting for acknowledgement`;
    const sorted = [...alerts.values()].sort((x, y) => y.raisedAt.localeCompare(x.raisedAt)).slice(0, 200);
    list.replaceChildren(sorted.length ? h('table', {}, h('tbody', {}, ...sorted.map(row))) : h('p', {}, 'No alerts.'));
  };

  const load = () => api<AlertList>('GET', '/api/alerts?limit=200').then((r) => {
    alerts.clear();
    for (const a of r.alerts) alerts.set(a.id, a);
    render(r.unacknowledged);
  }, (err: Error) => list.replaceChildren(h('p', { class: 'error' }, err.message)));

  const link = new LiveLink((m) => {
    if (m.type === 'fleet.snapshot') void load(); // (re)connected: catch up on what was missed
    if (m.type !== 'alert.changed') return;
    alerts.set(m.body.alert.id, m.body.alert);
    render(m.body.unacknowledged);
  }, (s) => { linkLabel.textContent = s === 'live' ? '● live' : s === 'reconnecting' ? '○ reconnecting…' : ''; linkLabel.dataset.state = s; });
  link.start();
  root.replaceChildren(h('div', {}, h('p', {}, h('a', { href: '#/' }, '← Sites and agents')), h('h2', {}, 'Alerts'), count, list));
  return () => { link.stop(); linkLabel.textContent = ''; };
}
