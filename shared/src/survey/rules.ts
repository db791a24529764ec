import * as turf from '@turf/turf';
import { commandName, isPositionalNav, MAV_CMD, MAV_FRAME, type Mission } from './mission-items';
import type { UasZone, ZoneVolume } from './zones-ed269';

/**
 * Checks a mission against the rules of the air before it is exported or uploaded:
 * - height: at most 120 m above the ground in the EU open category (Regulation (EU) 2019/947,
 *   UAS.OPEN.010(2)) unless an authorisation is recorded (specific category);
 * - UAS geographical zones (ED-269, see zones-ed269.ts): entering or crossing one is reported
 *   with its name, restriction and authority.
 * Heights are taken relative to the take-off point; terrain is not modelled.
 * "error" means the plan must not fly as it is; "warning" needs the pilot's attention.
 */

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  code: 'altitude-limit' | 'altitude-unknown' | 'zone';
  message: string;
  /** 1-based number of the mission item concerned, where there is one. */
  item?: number;
  /** 1-based flight number, when a multi-flight plan was checked. */
  flight?: number;
  zone?: { identifier: string; name: string; restriction: string; authorities: string[]; message?: string };
}

export interface RuleCheckOptions {
  zones?: UasZone[];
  /** Reference of the operational authorisation the pilot holds (e.g. "LBA-UAS-2024-123"). */
  authorisation?: string;
  /** Height limit in metres (default 120). */
  maxHeightM?: number;
}

export interface RuleCheckResult {
  findings: Finding[];
  /** True when any finding is an error. */
  mustNotFly: boolean;
  /** Highest point above take-off, metres; null when it cannot be known. */
  maxHeightM: number | null;
}

interface PathPoint { lon: number; lat: number; height: number | null; item?: number }

/** Where the vehicle goes, in order: take-off at home, the positional items, back home (RTL). */
function flightPath(mission: Mission): { points: PathPoint[]; unknown: number[] } {
  const home = mission.home;
  const points: PathPoint[] = home ? [{ lon: home.lon, lat: home.lat, height: 0 }] : [];
  const unknown: number[] = [];
  mission.items.forEach((it, i) => {
    if (it.command === MAV_CMD.NAV_RETURN_TO_LAUNCH && home) {
      // RTL flies home at (at least) the height it is at, then descends there.
      const last = points[points.length - 1];
      points.push({ lon: home.lon, lat: home.lat, height: last?.height ?? null, item: i + 1 }, { lon: home.lon, lat: home.lat, height: 0, item: i + 1 });
      return;
    }
    if (!isPositionalNav(it)) return;
    let height: number | null;
    if (it.frame === MAV_FRAME.GLOBAL || it.frame === MAV_FRAME.GLOBAL_INT) {
      height = home && home.alt !== 0 ? it.alt - home.alt : null;
      if (height === null) unknown.push(i + 1);
    } else {
      height = it.alt;
    }
    // PX4 takes off where it stands when the take-off item has no position.
    const atHome = it.lat === 0 && it.lon === 0;
    if (atHome && !home) return;
    points.push({ lon: atHome ? (home as { lon: number }).lon : it.lon, lat: atHome ? (home as { lat: number }).lat : it.lat, height, item: i + 1 });
  });
  return { points, unknown };
}

export function checkMission(mission: Mission, options: RuleCheckOptions = {}): RuleCheckResult {
  const limit = options.maxHeightM ?? 120;
  const auth = options.authorisation?.trim() || undefined;
  const findings: Finding[] = [];
  const { points, unknown } = flightPath(mission);
  const known = points.filter((p) => p.height !== null);
  const highest = known.reduce<PathPoint | null>((h, p) => (!h || (p.height as number) > (h.height as number) ? p : h), null);
  const over = known.filter((p) => (p.height as number) > limit + 1e-6);
  if (over.length > 0 && highest) {
    const h = (highest.height as number).toFixed(1);
    const what = `${over.length} item(s) fly higher than ${limit} m above the take-off point, the highest ${h} m at item ${highest.item}`;
    findings.push(auth
      ? { severity: 'warning', code: 'altitude-limit', item: highest.item, message: `${what}; allowed by the recorded authorisation "${auth}" (check it covers ${h} m)` }
      : { severity: 'error', code: 'altitude-limit', item: highest.item, message: `${what}: above the ${limit} m limit of the EU open category (Regulation (EU) 2019/947, UAS.OPEN.010); record an authorisation to fly higher` });
  }
  if (unknown.length > 0) {
    findings.push({
      severity: 'warning', code: 'altitude-unknown', item: unknown[0],
      message: `${unknown.length} item(s) give their altitude above sea level and the plan has no home elevation, so their height above ground is unknown (first: item ${unknown[0]}, ${commandName(mission.items[(unknown[0] as number) - 1]?.command ?? 0)})`,
    });
  }
  for (const zone of options.zones ?? []) {
    const hit = zoneHit(zone, points, mission.home?.alt ?? 0);
    if (hit) findings.push(zoneFinding(zone, hit, auth));
  }
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  findings.sort((a, b) => order[a.severity] - order[b.severity]);
  return { findings, mustNotFly: findings.some((f) => f.severity === 'error'), maxHeightM: unknown.length ? null : highest?.height ?? null };
}

/** Checks several flights (a split plan); findings say which flight. */
export function checkMissions(missions: Mission[], options: RuleCheckOptions = {}): RuleCheckResult {
  const results = missions.map((m) => checkMission(m, options));
  const findings = results.flatMap((r, i) => r.findings.map((f) => (missions.length > 1 ? { ...f, flight: i + 1, message: `flight ${i + 1}: ${f.message}` } : f)));
  const heights = results.map((r) => r.maxHeightM);
  return {
    findings, mustNotFly: results.some((r) => r.mustNotFly),
    maxHeightM: heights.some((h) => h === null) ? null : Math.max(...(heights as number[])),
  };
}

interface Hit { item?: number; startsInside: boolean; verticalUnknown: boolean }

function zoneHit(zone: UasZone, points: PathPoint[], homeAmsl: number): Hit | null {
  if (points.length === 0) return null;
  const coords = points.map((p) => [p.lon, p.lat]);
  for (const v of zone.volumes) {
    const shape = turf.feature(v.outline);
    const [zx0, zy0, zx1, zy1] = turf.bbox(shape);
    let lo = Infinity;
    let hi = -Infinity;
    let firstItem: number | undefined;
    for (let i = 0; i < points.length; i++) {
      const a = points[i] as PathPoint;
      const b = points[Math.min(i + 1, points.length - 1)] as PathPoint;
      if (Math.max(a.lon, b.lon) < zx0 || Math.min(a.lon, b.lon) > zx1 || Math.max(a.lat, b.lat) < zy0 || Math.min(a.lat, b.lat) > zy1) continue;
      const touches = i + 1 < points.length
        ? turf.booleanIntersects(turf.lineString([coords[i] as number[], coords[i + 1] as number[]]), shape)
        : turf.booleanPointInPolygon(coords[i] as number[], shape);
      if (!touches) continue;
      firstItem ??= b.item ?? a.item;
      for (const p of [a, b]) if (p.height !== null) { lo = Math.min(lo, p.height); hi = Math.max(hi, p.height); }
    }
    if (firstItem === undefined && !turf.booleanPointInPolygon(coords[0] as number[], shape)) continue;
    const startsInside = turf.booleanPointInPolygon(coords[0] as number[], shape);
    const amsl = v.lowerReference !== 'AGL' || v.upperReference !== 'AGL';
    const verticalUnknown = lo === Infinity || (amsl && homeAmsl === 0);
    if (!verticalUnknown && !overlapsVertically(v, lo, hi, homeAmsl)) continue;
    return { item: firstItem, startsInside, verticalUnknown };
  }
  return null;
}

function overlapsVertically(v: ZoneVolume, lo: number, hi: number, homeAmsl: number): boolean {
  // Limits above sea level are compared with the take-off elevation added to the heights.
  const lower = v.lowerM === null ? -Infinity : v.lowerReference === 'AGL' ? v.lowerM : v.lowerM - homeAmsl;
  const upper = v.upperM === null ? Infinity : v.upperReference === 'AGL' ? v.upperM : v.upperM - homeAmsl;
  return lo <= upper && hi >= lower;
}

function zoneFinding(zone: UasZone, hit: Hit, auth: string | undefined): Finding {
  const authorities = zone.authorities.map((a) => a.name);
  const contact = zone.authorities.map((a) => [a.name, a.email, a.phone].filter(Boolean).join(', ')).join('; ') || 'no authority given';
  const where = hit.startsInside ? 'starts inside' : `enters (from item ${hit.item ?? '?'})`;
  const vertical = hit.verticalUnknown ? ' (its height limits could not be compared: the plan has no home elevation, so it is assumed to apply)' : '';
  let message = `the flight ${where} UAS geographical zone "${zone.name}" (${zone.identifier}): ${zone.restriction}, authority: ${contact}${vertical}`;
  if (zone.message) message += ` — ${zone.message}`;
  if (zone.restrictionConditions.length) message += ` — conditions: ${zone.restrictionConditions.join('; ')}`;
  let severity: Severity;
  if (zone.restriction === 'PROHIBITED') severity = 'error';
  else if (zone.restriction === 'REQ_AUTHORISATION') {
    severity = auth ? 'warning' : 'error';
    message += auth ? `; authorisation recorded: "${auth}" (check it covers this zone)` : '; an authorisation from the zone\'s authority is required';
  } else severity = zone.restriction === 'CONDITIONAL' ? 'warning' : 'info';
  return {
    severity, code: 'zone', message, item: hit.item,
    zone: { identifier: zone.identifier, name: zone.name, restriction: zone.restriction, authorities, message: zone.message },
  };
}
