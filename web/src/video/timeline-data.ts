import { api } from '../lib/api';
import { clock } from './hls-player';
import type { Span, TimelineRow } from './timeline';

interface TimelineAnswer {
  ranges: { start: string; end: string }[];
  gaps: { start: string; end: string }[];
  holds: { from: string; to: string; reason: string; by: string }[];
  exports: { from: string; to: string; state: string; by: string; reason: string }[];
}

const span = (a: string, b: string, title?: string): Span => ({ from: Date.parse(a), to: Date.parse(b), ...(title ? { title } : {}) });

/** One camera's row for [from, to): recorded ranges, gaps, legal holds, exports. The session, when open, is kept alive by the request. */
export async function loadTimelineRow(cameraId: string, from: number, to: number, session?: string, label?: string): Promise<TimelineRow> {
  const q = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...(session ? { session } : {}) });
  const t = await api<TimelineAnswer>('GET', `/api/video/cameras/${encodeURIComponent(cameraId)}/timeline?${q.toString()}`);
  return {
    ...(label ? { label } : {}),
    recorded: t.ranges.map((r) => span(r.start, r.end, `recorded ${clock(Date.parse(r.start))} – ${clock(Date.parse(r.end))}`)),
    gaps: t.gaps.map((g) => span(g.start, g.end, `nothing recorded ${clock(Date.parse(g.start))} – ${clock(Date.parse(g.end))}`)),
    holds: t.holds.map((x) => span(x.from, x.to, `legal hold: ${x.reason} (by ${x.by})`)),
    exports: t.exports.map((x) => span(x.from, x.to, `export (${x.state}) by ${x.by}: ${x.reason}`)),
  };
}

/** Where "previous gap" and "next gap" go: 5 s before the gap starts, so the last moments before it play and then what follows it. */
export const GAP_LEAD_MS = 5000;

export function nextGap(gaps: Span[], now: number): Span | undefined {
  return gaps.filter((g) => g.from - GAP_LEAD_MS > now + 500).sort((a, b) => a.from - b.from)[0];
}

export function previousGap(gaps: Span[], now: number): Span | undefined {
  return gaps.filter((g) => g.from - GAP_LEAD_MS < now - 1500).sort((a, b) => b.from - a.from)[0];
}
