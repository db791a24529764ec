import { SurveyInputError } from './errors';

/**
 * Photogrammetry maths as QGroundControl's CameraCalc.cc does it (DESIGN.md §4), so a plan
 * made here and the same plan made in QGC agree. The vector from QGC's survey documentation
 * (Sony QX1, 25 cm/px, 70 % overlaps → 940.69 m, 409.2 m, 272.4 m) is in camera-calc.test.ts.
 */

export interface CameraSpec {
  sensorWidthMm: number;
  sensorHeightMm: number;
  imageWidthPx: number;
  imageHeightPx: number;
  focalLengthMm: number;
}

export interface CameraCalcInput {
  camera: CameraSpec;
  /** Give exactly one of altitudeM and gsdCm: the other follows from it. */
  altitudeM?: number;
  /** Ground sampling distance in cm per pixel. */
  gsdCm?: number;
  /** Percent, 0 ≤ overlap < 100. */
  frontOverlapPct: number;
  sideOverlapPct: number;
  /** Image's long side across the flight line (QGC's default). False: portrait. */
  landscape?: boolean;
}

export interface CameraCalcResult {
  altitudeM: number;
  gsdCm: number;
  /** Ground size of one image across the flight line (metres). */
  footprintSideM: number;
  /** Ground size of one image along the flight line (metres). */
  footprintFrontM: number;
  /** Distance between neighbouring flight lines (QGC: adjusted footprint side). */
  lineSpacingM: number;
  /** Distance flown between two photos (QGC: adjusted footprint frontal). */
  triggerDistanceM: number;
}

function positive(value: number, field: string, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new SurveyInputError(`${what} must be a positive number (got ${value})`, field);
  return value;
}

function overlap(value: number, field: string, what: string): number {
  if (!Number.isFinite(value) || value < 0 || value >= 100) throw new SurveyInputError(`${what} must be from 0 to below 100 percent (got ${value})`, field);
  return value;
}

export function validateCamera(camera: CameraSpec): CameraSpec {
  positive(camera.sensorWidthMm, 'sensorWidthMm', 'sensor width (mm)');
  positive(camera.sensorHeightMm, 'sensorHeightMm', 'sensor height (mm)');
  positive(camera.imageWidthPx, 'imageWidthPx', 'image width (px)');
  positive(camera.imageHeightPx, 'imageHeightPx', 'image height (px)');
  positive(camera.focalLengthMm, 'focalLengthMm', 'focal length (mm)');
  return camera;
}

/** GSD in cm/px at an altitude: alt·sensorW·100 / (imageW·focal), with W across the line. */
export function gsdAtAltitude(camera: CameraSpec, altitudeM: number, landscape = true): number {
  const { sensorAcross, imageAcross } = acrossTrack(camera, landscape);
  return (altitudeM * sensorAcross * 100) / (imageAcross * camera.focalLengthMm);
}

/** The altitude that gives a GSD (cm/px); the inverse of gsdAtAltitude. */
export function altitudeForGsd(camera: CameraSpec, gsdCm: number, landscape = true): number {
  const { sensorAcross, imageAcross } = acrossTrack(camera, landscape);
  return (gsdCm * imageAcross * camera.focalLengthMm) / (sensorAcross * 100);
}

function acrossTrack(camera: CameraSpec, landscape: boolean) {
  return landscape
    ? { sensorAcross: camera.sensorWidthMm, imageAcross: camera.imageWidthPx, imageAlong: camera.imageHeightPx }
    : { sensorAcross: camera.sensorHeightMm, imageAcross: camera.imageHeightPx, imageAlong: camera.imageWidthPx };
}

export function cameraCalc(input: CameraCalcInput): CameraCalcResult {
  const camera = validateCamera(input.camera);
  const landscape = input.landscape ?? true;
  const front = overlap(input.frontOverlapPct, 'frontOverlapPct', 'front overlap');
  const side = overlap(input.sideOverlapPct, 'sideOverlapPct', 'side overlap');
  if ((input.altitudeM === undefined) === (input.gsdCm === undefined)) {
    throw new SurveyInputError('give either the altitude or the ground sampling distance (GSD), not both or neither', 'altitudeM');
  }
  let altitudeM: number;
  let gsdCm: number;
  if (input.altitudeM !== undefined) {
    altitudeM = positive(input.altitudeM, 'altitudeM', 'altitude (m)');
    gsdCm = gsdAtAltitude(camera, altitudeM, landscape);
  } else {
    gsdCm = positive(input.gsdCm as number, 'gsdCm', 'ground sampling distance (cm/px)');
    altitudeM = altitudeForGsd(camera, gsdCm, landscape);
  }
  const { imageAcross, imageAlong } = acrossTrack(camera, landscape);
  const footprintSideM = (imageAcross * gsdCm) / 100;
  const footprintFrontM = (imageAlong * gsdCm) / 100;
  return {
    altitudeM,
    gsdCm,
    footprintSideM,
    footprintFrontM,
    lineSpacingM: footprintSideM * (1 - side / 100),
    triggerDistanceM: footprintFrontM * (1 - front / 100),
  };
}
