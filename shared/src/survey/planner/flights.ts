import { SurveyInputError } from '../errors';
import type { Position } from '../geojson';
import { distance, towards } from './local-frame';
import { flightSeconds, passGeometry, type FlightTiming, type PathPoint } from './pass-geometry';
import type { Pass, RouteStep } from './route';

export interface FlightDraft {
  /** Survey waypoints in order (transit corners included), local frame. */
  points: PathPoint[];
  photos: Position[];
  passes: Pass[];
  seconds: number;
}

export interface SplitOptions {
  home: Position;
  timing: FlightTiming;
  turnaroundM: number;
  triggerM: number;
  /** Usable seconds per battery (endurance less the reserve); undefined: no limit. */
  budgetS: number | undefined;
}

/** A pass cut shorter than this is not worth a flight of its own. */
const MIN_CUT_M = 5;

/**
 * Cuts the route into flights that each fit the battery, every one from home and back to it.
 * Passes are added while the flight, with its way home, still fits; the pass that no longer
 * fits is cut where the battery runs out (found by bisection, since flight time grows with the
 * cut's length) and its rest opens the next flight, as survey apps resume a line. A step with
 * no way inside the area from the one before it also starts a new flight.
 */
export function splitIntoFlights(steps: RouteStep[], o: SplitOptions): FlightDraft[] {
  const flights: FlightDraft[] = [];
  let current: FlightDraft | null = null;
  const timeWith = (f: FlightDraft | null, via: Position[], pass: Pass): number => {
    const pts = [...(f?.points.map((q) => q.p) ?? []), ...via, ...passGeometry(pass, o.turnaroundM, o.triggerM).points.map((q) => q.p)];
    return flightSeconds(o.home, pts, o.timing);
  };
  const fits = (s: number) => o.budgetS === undefined || s <= o.budgetS;
  const append = (f: FlightDraft, via: Position[], pass: Pass) => {
    const g = passGeometry(pass, o.turnaroundM, o.triggerM);
    f.points.push(...via.map((p) => ({ p, kind: 'transit' as const })), ...g.points);
    f.photos.push(...g.photos);
    f.passes.push(pass);
    f.seconds = flightSeconds(o.home, f.points.map((q) => q.p), o.timing);
  };
  const fresh = (): FlightDraft => ({ points: [], photos: [], passes: [], seconds: 0 });

  const queue = steps.map((s) => ({ ...s }));
  const cutAndCarry = (f: FlightDraft, via: Position[], pass: Pass, i: number): boolean => {
    const cut = longestFittingCut(pass, (p) => fits(timeWith(f.passes.length ? f : null, via, p)));
    if (cut === null) return false;
    append(f, via, { ...pass, b: cut, turnOut: false });
    // The rest of the line opens the next flight, which flies from home straight to the cut.
    queue.splice(i + 1, 0, { via: [], breakBefore: true, pass: { ...pass, a: cut, turnIn: false } });
    return true;
  };
  for (let i = 0; i < queue.length; i++) {
    const step = queue[i] as RouteStep;
    if (current && !step.breakBefore) {
      if (fits(timeWith(current, step.via, step.pass))) { append(current, step.via, step.pass); continue; }
      // Use what is left of this battery on part of the line rather than flying home early.
      if (cutAndCarry(current, step.via, step.pass, i)) { flights.push(current); current = null; continue; }
    }
    if (current) flights.push(current);
    current = fresh();
    // A new flight flies straight from home to the pass: the transit corners are not needed.
    if (fits(timeWith(null, [], step.pass))) { append(current, [], step.pass); continue; }
    if (!cutAndCarry(current, [], step.pass, i)) {
      const need = timeWith(null, [], { ...step.pass, b: towards(step.pass.a, step.pass.b, MIN_CUT_M), turnOut: false });
      throw new SurveyInputError(
        `the battery endurance is too short: flying from home to the nearest flight line and back takes at least ${Math.ceil(need / 6) / 10} min, `
        + `and ${Math.floor((o.budgetS ?? 0) / 6) / 10} min are available after the reserve`,
        'enduranceMin');
    }
    flights.push(current);
    current = null;
  }
  if (current && current.passes.length > 0) flights.push(current);
  return flights;
}

function longestFittingCut(pass: Pass, ok: (p: Pass) => boolean): Position | null {
  const len = distance(pass.a, pass.b);
  const at = (d: number): Pass => ({ ...pass, b: towards(pass.a, pass.b, d), turnOut: false });
  if (len < MIN_CUT_M * 2 || !ok(at(MIN_CUT_M))) return null;
  let lo = MIN_CUT_M;
  let hi = len - MIN_CUT_M;
  if (ok(at(hi))) return at(hi).b;
  for (let k = 0; k < 40 && hi - lo > 0.5; k++) {
    const mid = (lo + hi) / 2;
    if (ok(at(mid))) lo = mid; else hi = mid;
  }
  return at(lo).b;
}
