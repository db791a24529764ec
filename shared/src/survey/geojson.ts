// The few GeoJSON shapes the survey code reads and writes (RFC 7946: [longitude, latitude]).
// Declared here because shared/ does not depend on @types/geojson; turf accepts them as they are.

export type Position = number[];
export interface PolygonGeometry { type: 'Polygon'; coordinates: Position[][] }
export interface MultiPolygonGeometry { type: 'MultiPolygon'; coordinates: Position[][][] }
export interface LineStringGeometry { type: 'LineString'; coordinates: Position[] }
export interface PointGeometry { type: 'Point'; coordinates: Position }
export type AreaGeometry = PolygonGeometry | MultiPolygonGeometry;
export type Geometry = AreaGeometry | LineStringGeometry | PointGeometry;

export interface Feature<G extends Geometry = Geometry> {
  type: 'Feature';
  geometry: G;
  properties: Record<string, unknown>;
}

export interface FeatureCollection<G extends Geometry = Geometry> {
  type: 'FeatureCollection';
  features: Feature<G>[];
}

/** A point on the ground, degrees (WGS 84). */
export interface LatLon { lat: number; lon: number }
