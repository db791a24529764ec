/**
 * Thins a track to at most `max` points for the map and the altitude chart: evenly spaced
 * samples plus the first, the last and the highest point, so the chart's peak is the
 * flight's real maximum height and the line still starts and ends where the flight did.
 */
export function decimateTrack<T extends { altRel: number }>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  if (max < 4) return [points[0]!, points.at(-1)!].slice(0, Math.max(0, max));
  let top = 0;
  for (let i = 1; i < points.length; i++) if (points[i]!.altRel > points[top]!.altRel) top = i;
  const keep = new Set<number>([0, points.length - 1, top]);
  const samples = max - 3;
  const step = (points.length - 1) / samples;
  for (let k = 0; k < samples; k++) keep.add(Math.round(k * step));
  return [...keep].sort((a, b) => a - b).map((i) => points[i]!);
}
