// `sargs survey plan|check`: survey flight planning and the pre-flight rules check, offline.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { CameraSpec, Finding, RuleCheckResult, SurveyPlan, UasZone } from '@sargs/shared/survey/index';
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../usage-error';

// The planner (turf and friends) loads only when a survey command runs, not with every `sargs` command.
type Survey = typeof import('@sargs/shared/survey/index');
const loadSurvey = (): Promise<Survey> => import('@sargs/shared/survey/index');

interface PlanCliOptions {
  area: string; camera?: string; sensor?: [number, number]; image?: [number, number]; focal?: number;
  altitude?: number; gsd?: number; front: number; side: number; angle?: number; home?: { lat: number; lon: number };
  speed?: number; turnaround?: number; endurance?: number; reserve?: number; out: string; lines?: string;
  zones?: string; authorisation?: string; json?: boolean;
}
interface CheckCliOptions { plan: string[]; zones?: string; authorisation?: string; json?: boolean }

const number = (min: number, max: number, what = 'a number') => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`must be ${what} from ${min} to ${max}.`);
  return n;
};
const pair = (integer: boolean) => (value: string): [number, number] => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*[x×X]\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  const a = Number(m?.[1]);
  const b = Number(m?.[2]);
  if (!m || !(a > 0) || !(b > 0) || (integer && !(Number.isInteger(a) && Number.isInteger(b)))) {
    throw new InvalidArgumentError(`must be WIDTHxHEIGHT, e.g. ${integer ? '5280x3956' : '17.3x13.0'}.`);
  }
  return [a, b];
};
const latLon = (value: string) => {
  const [lat, lon] = value.split(',').map((s) => Number(s.trim()));
  if (value.split(',').length !== 2 || !(Math.abs(lat as number) <= 90) || !(Math.abs(lon as number) <= 180)) {
    throw new InvalidArgumentError('must be LATITUDE,LONGITUDE in degrees, e.g. 47.3977,8.5456.');
  }
  return { lat: lat as number, lon: lon as number };
};

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function cameraFrom(s: Survey, o: PlanCliOptions): CameraSpec {
  const manual = [o.sensor, o.image, o.focal].filter((v) => v !== undefined).length;
  if (o.camera && manual > 0) throw new UsageError('give either --camera or --sensor/--image/--focal, not both');
  if (o.camera) {
    try { return s.cameraPreset(o.camera); } catch (err) { throw new UsageError((err as Error).message); }
  }
  if (manual !== 3) throw new UsageError('give the camera: --camera NAME, or all of --sensor WxH_MM --image WxH_PX --focal MM');
  const [sw, sh] = o.sensor as [number, number];
  const [iw, ih] = o.image as [number, number];
  return { sensorWidthMm: sw, sensorHeightMm: sh, imageWidthPx: iw, imageHeightPx: ih, focalLengthMm: o.focal as number };
}

const minutes = (s: number) => `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;

function printPlan(plan: SurveyPlan, written: string[]): void {
  const c = plan.camera;
  const e = plan.estimates;
  console.log(`camera:  GSD ${c.gsdCm.toFixed(2)} cm/px at ${c.altitudeM.toFixed(1)} m above home; footprint ${c.footprintSideM.toFixed(1)} × ${c.footprintFrontM.toFixed(1)} m`);
  console.log(`lines:   ${e.lineCount} at ${plan.angleDeg}°, ${c.lineSpacingM.toFixed(1)} m apart; photo every ${c.triggerDistanceM.toFixed(1)} m`);
  console.log(`photos:  ${e.photoCount}`);
  console.log(`path:    ${(e.pathLengthM / 1000).toFixed(2)} km (${(e.surveyLengthM / 1000).toFixed(2)} km on the lines)`);
  console.log(`time:    ${minutes(e.flightTimeS)} at ${plan.speedMps} m/s`);
  console.log(`area:    ${(e.areaM2 / 10_000).toFixed(2)} ha`);
  if (plan.flights.length > 1) {
    console.log(`flights: ${plan.flights.length}, each within ${minutes(plan.flightBudgetS ?? 0)} (endurance less the reserve)`);
    for (const f of plan.flights) console.log(`  flight ${f.index}: ${f.estimates.photoCount} photos, ${minutes(f.estimates.flightTimeS)}`);
  }
  for (const w of written) console.log(`wrote ${w}`);
}

function printFindings(result: RuleCheckResult, label: string): void {
  for (const f of result.findings) console.log(`${f.severity.toUpperCase().padEnd(7)} ${label}${f.message}`);
}

const outPaths = (out: string, count: number) => {
  if (count === 1) return [out];
  const ext = extname(out);
  return Array.from({ length: count }, (_, i) => `${out.slice(0, out.length - ext.length)}-${i + 1}${ext}`);
};

function loadZones(s: Survey, path: string | undefined): UasZone[] {
  return path ? s.readEd269(readText(path, 'zone file')) : [];
}

export function surveyCommand(): Command {
  const survey = new Command('survey').description('plan survey flights and check plans against the rules of the air (offline)');

  survey.command('plan')
    .description('plan a photo survey of an area and write it as a QGroundControl .plan or a WPL 110 waypoint file')
    .requiredOption('--area <file>', 'the area: GeoJSON (.geojson/.json) or KML (.kml) polygon(s), holes allowed')
    .option('--camera <name>', 'a camera preset (see --help for the list)')
    .option('--sensor <WxH_mm>', 'sensor size in mm, e.g. 17.3x13.0', pair(false))
    .option('--image <WxH_px>', 'image size in pixels, e.g. 5280x3956', pair(true))
    .option('--focal <mm>', 'real (not 35 mm-equivalent) focal length in mm', number(0.1, 2000))
    .option('--altitude <m>', 'flight height above home in metres', number(1, 5000))
    .option('--gsd <cm>', 'ground sampling distance in cm per pixel', number(0.01, 1000))
    .requiredOption('--front <pct>', 'front overlap, percent', number(0, 99))
    .requiredOption('--side <pct>', 'side overlap, percent', number(0, 99))
    .option('--angle <deg>', 'flight-line direction, degrees clockwise from north (default: fewest lines)', number(0, 360))
    .option('--home <lat,lon>', 'take-off point (default: the start of the first line)', latLon)
    .option('--speed <m/s>', 'survey speed', number(0.5, 40), 8)
    .option('--turnaround <m>', 'run-in at each line end before photos start', number(0, 500), 10)
    .option('--endurance <min>', 'battery endurance; longer plans are split into flights that fit', number(1, 600))
    .option('--reserve <pct>', 'part of the endurance kept in reserve', number(0, 90), 20)
    .option('--lines <file>', 'also write the lines, route and photo points as .kml or .geojson')
    .option('--zones <file>', 'check the plan against the UAS geographical zones of an ED-269 JSON file')
    .option('--authorisation <text>', 'reference of an operational authorisation (allows flying above 120 m)')
    .option('--json', 'print the plan\'s figures as JSON')
    .requiredOption('--out <file>', 'where to write the plan: .plan (QGroundControl) or .waypoints (WPL 110)')
    .addHelpText('after', '\nCamera presets: see `sargs survey cameras`.\n\nExample:\n  sargs survey plan --area field.kml --sensor 17.3x13.0 --image 5280x3956 --focal 12.29 --gsd 2.5 --front 75 --side 65 --out field.plan')
    .action(async (o: PlanCliOptions) => {
      const s = await loadSurvey();
      const format = s.missionFormatFor(o.out);
      if (!format) throw new UsageError(`--out ${o.out}: the name must end in .plan (QGroundControl) or .waypoints (WPL 110)`);
      if (o.lines && !/\.(kml|geojson|json)$/i.test(o.lines)) throw new UsageError('--lines: the name must end in .kml or .geojson');
      if ((o.altitude === undefined) === (o.gsd === undefined)) throw new UsageError('give exactly one of --altitude and --gsd');
      const camera = cameraFrom(s, o);
      const zones = loadZones(s, o.zones);
      const area = s.readAreaFile(o.area, readText(o.area, 'area file'));
      let plan: SurveyPlan;
      try {
        plan = s.planSurvey(area, {
          camera, altitudeM: o.altitude, gsdCm: o.gsd, frontOverlapPct: o.front, sideOverlapPct: o.side, angleDeg: o.angle,
          home: o.home, speedMps: o.speed, turnaroundM: o.turnaround, enduranceMin: o.endurance, reservePct: o.reserve,
        });
      } catch (err) {
        if (err instanceof s.SurveyInputError) throw new Error(`cannot plan ${basename(o.area)}: ${err.message}`);
        throw err;
      }
      const check = s.checkMissions(plan.flights.map((f) => f.mission), { zones, authorisation: o.authorisation });
      if (check.mustNotFly) {
        if (o.json) console.log(JSON.stringify({ written: [], estimates: plan.estimates, findings: check.findings }, null, 2));
        else printFindings(check, '');
        throw new Error('the plan was not written: it must not fly as it is (see the errors above)');
      }
      const paths = outPaths(o.out, plan.flights.length);
      plan.flights.forEach((f, i) => writeFileSync(paths[i] as string, s.writeMission(f.mission, format)));
      if (o.lines) {
        writeFileSync(o.lines, /\.kml$/i.test(o.lines) ? s.planToKml(plan, basename(o.area)) : `${JSON.stringify(s.planToGeoJson(plan), null, 2)}\n`);
        paths.push(o.lines);
      }
      if (o.json) {
        console.log(JSON.stringify({ written: paths, camera: plan.camera, angleDeg: plan.angleDeg, estimates: plan.estimates, findings: check.findings }, null, 2));
      } else {
        printPlan(plan, paths);
        printFindings(check, '');
      }
    });

  survey.command('check')
    .description('check plans against the height limit and UAS geographical zones; exits 1 when a plan must not fly as it is')
    .requiredOption('--plan <files...>', 'QGroundControl .plan or WPL 110 files (several: the flights of one survey)')
    .option('--zones <file>', 'UAS geographical zones, EUROCAE ED-269 JSON')
    .option('--authorisation <text>', 'reference of the operational authorisation the pilot holds')
    .option('--json', 'print the findings as JSON')
    .action(async (o: CheckCliOptions) => {
      const s = await loadSurvey();
      const zones = loadZones(s, o.zones);
      const missions = o.plan.map((p) => s.readMissionFile(basename(p), readText(p, 'plan')).mission);
      const result = s.checkMissions(missions, { zones, authorisation: o.authorisation });
      if (o.json) {
        console.log(JSON.stringify({ plans: o.plan, zones: zones.length, ...result }, null, 2));
      } else {
        printFindings(result, '');
        const count = (s: Finding['severity']) => result.findings.filter((f) => f.severity === s).length;
        const checked = `height ≤ 120 m${zones.length ? `, ${zones.length} zone(s)` : ', no zone file'}`;
        console.log(result.mustNotFly
          ? `MUST NOT FLY as it is: ${count('error')} error(s), ${count('warning')} warning(s) (checked: ${checked})`
          : `may fly: no errors, ${count('warning')} warning(s) (checked: ${checked})`);
      }
      if (result.mustNotFly) process.exitCode = 1;
    });

  survey.command('cameras')
    .description('list the camera presets (id, sensor, image, focal length, source)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { CAMERA_PRESETS } = await loadSurvey();
      if (o.json) { console.log(JSON.stringify(CAMERA_PRESETS, null, 2)); return; }
      for (const c of CAMERA_PRESETS) {
        console.log(`${c.id.padEnd(24)} ${c.sensorWidthMm}×${c.sensorHeightMm} mm, ${c.imageWidthPx}×${c.imageHeightPx} px, ${c.focalLengthMm} mm  ${c.name}`);
      }
    });
  return survey;
}
