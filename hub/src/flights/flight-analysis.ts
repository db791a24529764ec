import { findFlightsInTlog, type Flight } from '@sargs/shared/mavlink/flights';
import { readTlog } from '@sargs/shared/mavlink/tlog';

/** What the logbook needs from a tlog: its flights and the reader's warnings. */
export interface TlogAnalysis {
  flights: Flight[];
  warnings: string[];
  /** MAVLink records read; counted only when no flight was found (to tell "not a tlog" from "no flight"). */
  records: number | null;
}

/** Finds the flights in a whole tlog held in memory (shared/mavlink/flights does the work). */
export function analyseTlog(bytes: Buffer): TlogAnalysis {
  const { flights, warnings } = findFlightsInTlog(bytes);
  if (flights.length) return { flights, warnings, records: null };
  let records = 0;
  for (const _ of readTlog(bytes)) records++;
  return { flights, warnings, records };
}
