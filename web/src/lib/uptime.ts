/** A state change as the hub's history gives it. */
export interface Change { state: string; since: string }

export interface Uptime { upFraction: number; outages: number; longestOutageMs: number; knownFraction: number }

/**
 * Share of a window a camera was recording (online or degraded), and its outages
 * (offline stretches), from the state it was in when the window opened plus the changes.
 * Time before the first known state is left out, not counted as up or down.
 */
export function uptime(initial: Change | null, changes: Change[], fromMs: number, toMs: number): Uptime {
  const points = [...(initial ? [{ ...initial, since: new Date(fromMs).toISOString() }] : []), ...changes]
    .map((c) => ({ up: c.state !== 'offline', at: Math.max(fromMs, Date.parse(c.since)) }))
    .filter((p) => p.at <= toMs)
    .sort((a, b) => a.at - b.at);
  let up = 0;
  let known = 0;
  let outages = 0;
  let longest = 0;
  points.forEach((p, i) => {
    const end = points[i + 1]?.at ?? toMs;
    const span = Math.max(0, end - p.at);
    known += span;
    if (p.up) up += span;
    else {
      if (!(i > 0 && !points[i - 1]!.up)) outages++;
      longest = Math.max(longest, span);
    }
  });
  return { upFraction: known ? up / known : 1, outages, longestOutageMs: longest, knownFraction: known / (toMs - fromMs) };
}
