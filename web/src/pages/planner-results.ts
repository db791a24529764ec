import type { Finding } from '@sargs/shared/survey/rules';
import { h } from '../lib/dom';
import type { PlanView } from './planner-map';

const km = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${m.toFixed(0)} m`);
const minutes = (s: number) => { const r = Math.round(s); return r >= 60 ? `${Math.floor(r / 60)} min ${r % 60} s` : `${r} s`; };
const area = (m2: number) => (m2 >= 10_000 ? `${(m2 / 10_000).toFixed(2)} ha` : `${m2.toFixed(0)} m²`);

/** The plan's figures: what a pilot checks before flying (photos, time, batteries, GSD). */
export function estimatesList(plan: PlanView): HTMLElement {
  const e = plan.estimates;
  const c = plan.camera;
  const rows: [string, string, string][] = [
    ['photos', 'Photos', String(e.photoCount)],
    ['flight-time', 'Flight time', minutes(e.flightTimeS)],
    ['flights', 'Flights', `${e.flightCount}${plan.flightBudgetS ? ` (each at most ${minutes(plan.flightBudgetS)})` : ''}`],
    ['path-length', 'Path length', km(e.pathLengthM)],
    ['area', 'Area covered', area(e.areaM2)],
    ['lines', 'Flight lines', `${e.lineCount}, ${c.lineSpacingM.toFixed(1)} m apart, at ${plan.angleDeg.toFixed(0)}°`],
    ['altitude', 'Altitude', `${c.altitudeM.toFixed(1)} m above take-off`],
    ['gsd', 'Ground sampling distance', `${c.gsdCm.toFixed(2)} cm/px`],
    ['trigger', 'Photo every', `${c.triggerDistanceM.toFixed(1)} m`],
  ];
  return h('dl', { class: 'flight-summary', 'data-testid': 'estimates' },
    ...rows.flatMap(([key, label, value]) => [h('dt', {}, label), h('dd', { 'data-estimate': key }, value)]));
}

/** Rule and zone findings, errors first; an empty list says the check passed. */
export function findingsList(findings: Finding[]): HTMLElement {
  if (findings.length === 0) return h('p', { class: 'state online', 'data-testid': 'findings' }, 'Check passed: within 120 m and outside every known zone.');
  return h('ul', { class: 'findings', 'data-testid': 'findings' },
    ...findings.map((f) => h('li', { class: `finding ${f.severity}`, 'data-severity': f.severity },
      h('strong', {}, f.severity === 'error' ? 'Must not fly: ' : f.severity === 'warning' ? 'Warning: ' : 'Note: '), f.message)));
}

/** Posts to the export API and saves what comes back under the name the hub gives it. */
export async function downloadExport(format: string, body: unknown): Promise<string> {
  const res = await fetch(`/api/survey/export?format=${format}`, {
    method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!res.ok) {
    const data = (await res.json().catch(() => ({}))) as { error?: string };
    throw new Error(data.error ?? `HTTP ${res.status}`);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `survey.${format}`;
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has the file once the click is handled; keep the URL a moment for slow ones.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
