import { SurveyFileError } from '../errors';
import type { Mission } from '../mission-items';
import { readQgcPlan } from './qgc-plan-read';
import { writeQgcPlan } from './qgc-plan-write';
import { readWpl, WPL_HEADER, writeWpl } from './wpl';

export type MissionFormat = 'qgc-plan' | 'wpl';

export interface MissionFile {
  format: MissionFormat;
  mission: Mission;
  warnings: string[];
}

/**
 * A mission file of either kind, told apart by its content (a WPL file starts with its header,
 * a .plan is JSON), so a file with the "wrong" extension still reads. Errors name the file.
 */
export function readMissionFile(name: string, text: string): MissionFile {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  try {
    if (body.startsWith('QGC WPL')) {
      const { mission, warnings } = readWpl(body);
      return { format: 'wpl', mission, warnings };
    }
    if (body.startsWith('{')) return { format: 'qgc-plan', mission: readQgcPlan(body), warnings: [] };
  } catch (err) {
    if (err instanceof SurveyFileError) throw new SurveyFileError(err.message, name);
    throw err;
  }
  throw new SurveyFileError(`neither a QGroundControl .plan (JSON) nor a "${WPL_HEADER}" waypoint file`, name);
}

/** The format a file name asks for: .plan → QGC plan, .waypoints / .txt / .mission → WPL 110. */
export function missionFormatFor(name: string): MissionFormat | undefined {
  if (/\.plan$/i.test(name)) return 'qgc-plan';
  if (/\.(waypoints|txt|mission|wpl)$/i.test(name)) return 'wpl';
  return undefined;
}

export function writeMission(mission: Mission, format: MissionFormat): string {
  return format === 'qgc-plan' ? writeQgcPlan(mission) : writeWpl(mission);
}
