import type { LightingSchedule } from '@sargs/shared';
import { getTimes } from 'suncalc';

export interface ScheduleContext {
  location?: { latitude: number; longitude: number };
  /** IANA zone for fixed HH:MM times. */
  timeZone: string;
}

export interface ScheduleResult {
  /** What the schedule says now. */
  on: boolean;
  /** When it next switches (ms since the epoch), or null when it never does in the days looked at. */
  nextChange: number | null;
}

interface Span { start: number; end: number }

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Whether a schedule has a scene on at `now`, and when that next changes. Both kinds are
 * turned into the "on" spans of the days around `now` (yesterday's evening may still be on),
 * merged, and looked up; so fixed times across midnight and dusk-to-dawn share one rule.
 */
export function evaluateSchedule(schedule: LightingSchedule | undefined, ctx: ScheduleContext, now: number): ScheduleResult {
  if (!schedule) return { on: false, nextChange: null };
  const spans = merge(schedule.type === 'fixed' ? fixedSpans(schedule, ctx.timeZone, now) : sunSpans(schedule, ctx, now));
  const on = spans.some((s) => s.start <= now && now < s.end);
  const edges = spans.flatMap((s) => [s.start, s.end]).filter((t) => t > now);
  return { on, nextChange: edges.length ? Math.min(...edges) : null };
}

function merge(spans: Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/**
 * Evening event of each UTC day paired with the morning event of the next. suncalc 2 answers
 * for the solar day of the date given; null means the event does not happen that day (white
 * nights have no civil dusk at 60° N and beyond): no span then. In polar night (the sun never
 * rises) the whole day is dark, so the whole day is on.
 */
function sunSpans(s: LightingSchedule, ctx: ScheduleContext, now: number): Span[] {
  const loc = ctx.location;
  if (!loc) return [];
  const from = s.from ?? 'sunset';
  const to = s.to ?? 'sunrise';
  const day0 = Math.floor(now / DAY_MS) * DAY_MS + 12 * HOUR_MS; // UTC noon of today
  const times = [-2, -1, 0, 1, 2].map((k) => getTimes(new Date(day0 + k * DAY_MS), loc.latitude, loc.longitude));
  const spans: Span[] = [];
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (t.alwaysDown) spans.push({ start: t.nadir.getTime(), end: t.nadir.getTime() + DAY_MS });
    const next = times[i + 1];
    const start = t[from];
    const end = next?.[to];
    if (start && end) spans.push({ start: start.getTime(), end: end.getTime() });
  }
  return spans;
}

/** HH:MM on to HH:MM off in the zone, on each of the days around now; off at or before on means the next day. */
function fixedSpans(s: LightingSchedule, timeZone: string, now: number): Span[] {
  const [onH, onM] = (s.on ?? '00:00').split(':').map(Number) as [number, number];
  const [offH, offM] = (s.off ?? '00:00').split(':').map(Number) as [number, number];
  const overnight = offH * 60 + offM <= onH * 60 + onM;
  const today = zonedParts(now, timeZone);
  const spans: Span[] = [];
  for (const k of [-1, 0, 1]) {
    const start = zonedToUtc(today.year, today.month, today.day + k, onH, onM, timeZone);
    const end = zonedToUtc(today.year, today.month, today.day + k + (overnight ? 1 : 0), offH, offM, timeZone);
    spans.push({ start, end });
  }
  return spans;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(timeZone, f);
  }
  return f;
}

/** Calendar fields of an instant in a zone (month 0-based, like Date.UTC). */
export function zonedParts(t: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const p = Object.fromEntries(format(timeZone).formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
  return { year: p.year!, month: p.month! - 1, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

function offsetMs(t: number, timeZone: string): number {
  const p = zonedParts(t, timeZone);
  return Date.UTC(p.year, p.month, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
}

/** The instant a wall-clock time happens in a zone; a time a DST change skips or repeats resolves to one of its two readings. */
export function zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month, day, hour, minute);
  const first = wall - offsetMs(wall, timeZone);
  const second = wall - offsetMs(first, timeZone);
  return first === second ? first : Math.min(first, second);
}
