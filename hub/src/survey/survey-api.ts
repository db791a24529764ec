import { Type, type Static } from '@sinclair/typebox';

/**
 * The survey API's request bodies. The planner checks the numbers' ranges itself (and says
 * which field is wrong), so these schemas check shapes and sizes: what a body may contain.
 */

const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Lon = Type.Number({ minimum: -180, maximum: 180 });
export const LatLonSchema = Type.Object({ lat: Lat, lon: Lon }, { additionalProperties: false });

const Position = Type.Array(Type.Number(), { minItems: 2, maxItems: 3 });
const Rings = Type.Array(Type.Array(Position, { minItems: 4, maxItems: 50_000 }), { minItems: 1, maxItems: 1000 });
/** A GeoJSON Polygon or MultiPolygon ([lon, lat]; holes allowed). */
export const AreaSchema = Type.Union([
  Type.Object({ type: Type.Literal('Polygon'), coordinates: Rings }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Rings, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
]);

export const CameraSpecSchema = Type.Object({
  sensorWidthMm: Type.Number(), sensorHeightMm: Type.Number(),
  imageWidthPx: Type.Number(), imageHeightPx: Type.Number(), focalLengthMm: Type.Number(),
}, { additionalProperties: false });

/** The survey: which area, which camera, how high or how sharp, how much overlap, how to fly it. */
const surveyProps = {
  area: Type.Optional(AreaSchema),
  /** A saved area of the site (`siteId`), instead of `area`. */
  areaId: Type.Optional(Type.String({ maxLength: 64 })),
  camera: Type.Union([Type.String({ minLength: 1, maxLength: 100, description: 'a preset id or name' }), CameraSpecSchema]),
  altitudeM: Type.Optional(Type.Number({ description: 'above take-off; give this or gsdCm' })),
  gsdCm: Type.Optional(Type.Number({ description: 'ground sampling distance, cm/px; give this or altitudeM' })),
  frontOverlapPct: Type.Number(),
  sideOverlapPct: Type.Number(),
  landscape: Type.Optional(Type.Boolean()),
  angleDeg: Type.Optional(Type.Number({ description: 'line direction, degrees from north; default: fewest lines' })),
  speedMps: Type.Optional(Type.Number()),
  turnaroundM: Type.Optional(Type.Number()),
  home: Type.Optional(LatLonSchema),
  homeAltitudeAmslM: Type.Optional(Type.Number()),
  enduranceMin: Type.Optional(Type.Number({ description: 'battery endurance; longer plans are split into flights' })),
  reservePct: Type.Optional(Type.Number()),
};
export const SurveyInputSchema = Type.Object(surveyProps, { additionalProperties: false });
export type SurveyInput = Static<typeof SurveyInputSchema>;

const contextProps = {
  /** The site whose zones (with the global ones) the plan is checked against. */
  siteId: Type.Optional(Type.String({ maxLength: 64 })),
  /** Reference of an operational authorisation the pilot holds; recorded with exports and uploads. */
  authorisation: Type.Optional(Type.String({ minLength: 3, maxLength: 200 })),
};

export const PlanBody = Type.Object({ ...surveyProps, ...contextProps }, { additionalProperties: false });
export type PlanBody = Static<typeof PlanBody>;

export const MissionFileSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  text: Type.String({ maxLength: 4_000_000 }),
}, { additionalProperties: false });

/** A mission to check, export or upload: planned from a survey, or read from a .plan / WPL file. */
const missionProps = {
  survey: Type.Optional(SurveyInputSchema),
  missionFile: Type.Optional(MissionFileSchema),
  /** Which flight of a plan split for the battery (1-based). */
  flight: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
};
export const MissionBody = Type.Object({ ...missionProps, ...contextProps }, { additionalProperties: false });
export type MissionBody = Static<typeof MissionBody>;

export const UploadBody = Type.Object({ ...missionProps, authorisation: contextProps.authorisation }, { additionalProperties: false });
export type UploadBody = Static<typeof UploadBody>;

export const ExportQuery = Type.Object({
  format: Type.Union([Type.Literal('plan'), Type.Literal('waypoints'), Type.Literal('kml'), Type.Literal('geojson')]),
}, { additionalProperties: false });

export const NewArea = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  geometry: Type.Optional(AreaSchema),
  /** A GeoJSON or KML file's text; `.kml` names are read as KML. */
  file: Type.Optional(MissionFileSchema),
}, { additionalProperties: false });
export type NewArea = Static<typeof NewArea>;

export const ZonesBody = Type.Object({
  /** Absent: the zones apply to every site. */
  siteId: Type.Optional(Type.String({ maxLength: 64 })),
  fileName: Type.Optional(Type.String({ maxLength: 255 })),
  /** The ED-269 JSON file's text. */
  text: Type.String({ maxLength: 16_000_000 }),
}, { additionalProperties: false });
export type ZonesBody = Static<typeof ZonesBody>;

export const ZonesQuery = Type.Object({ siteId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });
export const SiteParam = Type.Object({ siteId: Type.String({ maxLength: 64 }) });
export const AreaParams = Type.Object({ siteId: Type.String({ maxLength: 64 }), areaId: Type.String({ maxLength: 64 }) });
export const VehicleParams = Type.Object({ siteId: Type.String({ maxLength: 64 }), systemId: Type.Integer({ minimum: 1, maximum: 255 }) });
export const DownloadQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('plan'), Type.Literal('waypoints')])),
}, { additionalProperties: false });
