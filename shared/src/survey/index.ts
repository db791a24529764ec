// Survey planning, shared by the hub, the CLI and the web console (browser-safe: no node: imports).
export * from './errors';
export type * from './geojson';
export * from './mission-items';
export * from './camera-calc';
export * from './camera-presets';
export { planSurvey } from './planner';
export type { SurveyParams, SurveyPlan, SurveyFlight, SurveyEstimates, SurveyWaypoint } from './planner';
export * from './rules';
export * from './zones-ed269';
export { readQgcPlan } from './files/qgc-plan-read';
export { writeQgcPlan } from './files/qgc-plan-write';
export { readWpl, writeWpl, WPL_HEADER, type WplReadResult } from './files/wpl';
export { readMissionFile, writeMission, missionFormatFor, type MissionFile, type MissionFormat } from './files/mission-file';
export { readAreaFile, readAreaGeoJson, readAreaKml } from './files/area-files';
export { planToGeoJson, planToKml } from './files/lines-export';
export { normalizeArea } from './planner/area';
