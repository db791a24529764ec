/**
 * Errors a user can act on. The message names what is wrong (which file, which field,
 * which item) so the CLI, the hub API and the console can show it as it is.
 */

/** A mission, area or zone file that cannot be read as it is. */
export class SurveyFileError extends Error {
  override name = 'SurveyFileError';
  constructor(message: string, readonly where?: string) {
    super(where ? `${where}: ${message}` : message);
  }
}

/** A planning parameter or an area that cannot give a plan (bad overlap, empty area…). */
export class SurveyInputError extends Error {
  override name = 'SurveyInputError';
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}
