import type { Position } from '../geojson';
import type { InsideRouter } from './inside-router';
import { distance } from './local-frame';
import type { LinePiece } from './sweep';

/** A line piece as flown: from a to b. turnIn/turnOut: a/b are real line ends with a turnaround leg. */
export interface Pass {
  line: number;
  a: Position;
  b: Position;
  turnIn: boolean;
  turnOut: boolean;
}

export interface RouteStep {
  /** Corners to pass, inside the area, between the previous pass's end and this pass's start. */
  via: Position[];
  pass: Pass;
  /** No way inside the area leads here from the previous pass: a new flight must start. */
  breakBefore: boolean;
}

interface Candidate { piece: number; reverse: boolean; lowerBound: number }

const pathLength = (from: Position, via: Position[], to: Position): number => {
  let d = 0;
  let at = from;
  for (const p of [...via, to]) { d += distance(at, p); at = p; }
  return d;
};

/**
 * Orders the pieces into one route: from wherever the drone is, fly next the piece whose
 * nearer end is closest *by a way inside the area*. That gives the usual back-and-forth over
 * a simple area, and in a concave one it sweeps one lobe after the other instead of zig-zagging
 * across a gap. Straight-line distance is a lower bound of the inside distance, so candidates
 * are tried nearest first and the search stops as soon as none can beat the best found.
 * Ties go to the lower piece index, so the same input always gives the same route.
 */
export function orderPieces(pieces: LinePiece[], router: InsideRouter, start: Position | null): RouteStep[] {
  const left = new Set(pieces.map((_, i) => i));
  const steps: RouteStep[] = [];
  let at: Position | null = start;
  const passOf = (c: Candidate): Pass => {
    const p = pieces[c.piece] as LinePiece;
    const lo: Position = [p.x0, p.y];
    const hi: Position = [p.x1, p.y];
    return { line: p.line, a: c.reverse ? hi : lo, b: c.reverse ? lo : hi, turnIn: true, turnOut: true };
  };
  while (left.size > 0) {
    let chosen: { c: Candidate; via: Position[]; breakBefore: boolean };
    if (at === null) {
      chosen = { c: { piece: Math.min(...left), reverse: false, lowerBound: 0 }, via: [], breakBefore: false };
    } else {
      const from = at;
      const candidates: Candidate[] = [];
      for (const i of left) {
        const p = pieces[i] as LinePiece;
        candidates.push({ piece: i, reverse: false, lowerBound: distance(from, [p.x0, p.y]) });
        candidates.push({ piece: i, reverse: true, lowerBound: distance(from, [p.x1, p.y]) });
      }
      candidates.sort((x, y) => x.lowerBound - y.lowerBound || x.piece - y.piece || Number(x.reverse) - Number(y.reverse));
      // The first leg comes from home, which may lie outside the area: it is a home leg, not a transit.
      const fromHome = steps.length === 0;
      let best: { c: Candidate; via: Position[]; cost: number } | null = null;
      for (const c of candidates) {
        if (best && c.lowerBound >= best.cost - 1e-9) break;
        const entry = passOf(c).a;
        const via = fromHome ? [] : router.route(from, entry);
        if (via === null) continue;
        const cost = pathLength(from, via, entry);
        if (!best || cost < best.cost - 1e-9) best = { c, via, cost };
      }
      chosen = best
        ? { c: best.c, via: best.via, breakBefore: false }
        : { c: candidates[0] as Candidate, via: [], breakBefore: true };
    }
    const pass = passOf(chosen.c);
    steps.push({ via: chosen.via, pass, breakBefore: chosen.breakBefore });
    left.delete(chosen.c.piece);
    at = pass.b;
  }
  return steps;
}
