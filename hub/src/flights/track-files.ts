import { trackToGeoJson, trackToGpx, trackToKml, type ExportableFlight } from '@sargs/shared/geo/track-formats';
import type { TrackPoint } from '@sargs/shared/mavlink/flights';
import type { FlightRecord } from './flight-store';

export type TrackFormat = 'geojson' | 'kml' | 'gpx';

/** A logbook flight's whole track as a file (shared/geo/track-formats writes it), with the pilot's facts along. */
export function trackFile(format: TrackFormat, rec: FlightRecord, track: TrackPoint[]): string {
  const v = rec.view;
  const flight: ExportableFlight = {
    systemId: v.systemId, vehicleType: v.vehicleType, autopilot: v.autopilot, start: v.start, end: v.end, durationS: v.durationS,
    distanceM: v.distanceM, maxHeightM: v.maxHeightM, maxGroundSpeedMps: v.maxGroundSpeedMps, batteryUsedPercent: v.batteryUsedPercent,
    ...rec.detail, track,
  };
  const properties = { flightId: v.id, siteId: v.siteId, pilot: v.pilot, notes: v.notes || null, source: v.source };
  if (format === 'geojson') return JSON.stringify(trackToGeoJson(flight, { properties }));
  return format === 'kml' ? trackToKml(flight, { properties }) : trackToGpx(flight, { properties });
}
