import { validateCamera, type CameraSpec } from './camera-calc';
import { SurveyInputError } from './errors';

/**
 * Cameras of common survey drones. Each entry says where its figures come from; where a
 * maker publishes only the 35 mm-equivalent focal length, the real one is the value the
 * camera writes in its photos' EXIF (FocalLength), which photogrammetry tools use too.
 */
export interface CameraPreset extends CameraSpec {
  /** Stable key for the CLI (--camera) and saved plans. */
  id: string;
  name: string;
  source: string;
}

export const CAMERA_PRESETS: readonly CameraPreset[] = [
  {
    // 1" CMOS 20 MP, 8.8 mm (24 mm equivalent): DJI Phantom 4 Pro specs (dji.com/phantom-4-pro/info#specs);
    // the same figures in public GSD tools and sensor tables (e.g. JacobWashburn-USDA/MatchPlant camera_sensor_dimension.md: FC6310 13.2 × 8.8).
    id: 'dji-phantom-4-pro', name: 'DJI Phantom 4 Pro / Pro V2.0',
    sensorWidthMm: 13.2, sensorHeightMm: 8.8, imageWidthPx: 5472, imageHeightPx: 3648, focalLengthMm: 8.8,
    source: 'DJI Phantom 4 Pro specifications (1" CMOS, 5472×3648, 8.8 mm / 24 mm eq.)',
  },
  {
    // 4/3 CMOS 20 MP wide camera, 24 mm equivalent; 12.29 mm is the EXIF focal length of M3E photos.
    id: 'dji-mavic-3-enterprise', name: 'DJI Mavic 3 Enterprise (wide camera)',
    sensorWidthMm: 17.3, sensorHeightMm: 13.0, imageWidthPx: 5280, imageHeightPx: 3956, focalLengthMm: 12.29,
    source: 'DJI Mavic 3 Enterprise specifications (enterprise.dji.com/mavic-3-enterprise/specs: 4/3 CMOS, 5280×3956, 24 mm eq.)',
  },
  {
    // 1/1.3" CMOS, 12 MP mode 4032×3024, 24 mm equivalent → 6.72 mm; sensor 9.7 × 7.3 mm (1/1.3" type).
    id: 'dji-mini-3-pro', name: 'DJI Mini 3 Pro (12 MP)',
    sensorWidthMm: 9.7, sensorHeightMm: 7.3, imageWidthPx: 4032, imageHeightPx: 3024, focalLengthMm: 6.72,
    source: 'DJI Mini 3 Pro specifications (dji.com/mini-3-pro/specs: 1/1.3" CMOS, 4032×3024, 24 mm eq.)',
  },
  {
    // Same 1/1.3" 48 MP sensor and 24 mm equivalent lens as the Mini 3 Pro; 12 MP mode.
    id: 'dji-mini-4-pro', name: 'DJI Mini 4 Pro (12 MP)',
    sensorWidthMm: 9.7, sensorHeightMm: 7.3, imageWidthPx: 4032, imageHeightPx: 3024, focalLengthMm: 6.72,
    source: 'DJI Mini 4 Pro specifications (dji.com/mini-4-pro/specs: 1/1.3" CMOS, 4032×3024, 24 mm eq.)',
  },
  {
    // Full-frame 45 MP with the DL 35 mm F2.8 LS ASPH lens.
    id: 'dji-zenmuse-p1-35', name: 'DJI Zenmuse P1, 35 mm lens',
    sensorWidthMm: 35.9, sensorHeightMm: 24.0, imageWidthPx: 8192, imageHeightPx: 5460, focalLengthMm: 35,
    source: 'DJI Zenmuse P1 specifications (enterprise.dji.com/zenmuse-p1/specs: 35.9×24 mm, 8192×5460, 35 mm lens)',
  },
  {
    // Exactly QGC's entry; the QGC survey documentation's worked example uses it.
    id: 'sony-qx1', name: 'Sony ILCE-QX1 (16 mm)',
    sensorWidthMm: 23.2, sensorHeightMm: 15.4, imageWidthPx: 5456, imageHeightPx: 3632, focalLengthMm: 16,
    source: 'QGroundControl src/Camera/CameraMetaData.json, "Sony ILCE-QX1"',
  },
  {
    // 1/2.4" 21 MP (5344×4016, 1.12 µm pixels → 5.99 × 4.50 mm); photo lens 23 mm equivalent → 4.0 mm.
    id: 'parrot-anafi', name: 'Parrot Anafi (21 MP)',
    sensorWidthMm: 5.99, sensorHeightMm: 4.5, imageWidthPx: 5344, imageHeightPx: 4016, focalLengthMm: 4.0,
    source: 'Parrot ANAFI specifications (1/2.4" CMOS 21 MP, 5344×4016); sensor size from pixel pitch, focal length from the 23 mm equivalent',
  },
  {
    // senseFly S.O.D.A. (eBee X/Plus): 1" 20 MP, 10.6 mm (29 mm equivalent).
    id: 'sensefly-soda', name: 'senseFly S.O.D.A.',
    sensorWidthMm: 13.2, sensorHeightMm: 8.8, imageWidthPx: 5472, imageHeightPx: 3648, focalLengthMm: 10.6,
    source: 'senseFly S.O.D.A. datasheet (1" 20 MP, 5472×3648, 10.6 mm)',
  },
  {
    id: 'sony-a6000-16', name: 'Sony a6000, 16 mm',
    sensorWidthMm: 23.5, sensorHeightMm: 15.6, imageWidthPx: 6000, imageHeightPx: 4000, focalLengthMm: 16,
    source: 'QGroundControl src/Camera/CameraMetaData.json, "Sony a6000 16mm"',
  },
  {
    id: 'parrot-sequoia-rgb', name: 'Parrot Sequoia RGB',
    sensorWidthMm: 6.17, sensorHeightMm: 4.63, imageWidthPx: 4608, imageHeightPx: 3456, focalLengthMm: 4.9,
    source: 'QGroundControl src/Camera/CameraMetaData.json, "Parrot Sequioa RGB"',
  },
  {
    id: 'micasense-rededge', name: 'MicaSense RedEdge',
    sensorWidthMm: 4.8, sensorHeightMm: 3.6, imageWidthPx: 1280, imageHeightPx: 960, focalLengthMm: 5.5,
    source: 'QGroundControl src/Camera/CameraMetaData.json, "RedEdge"',
  },
];

const normalise = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');

/** A preset by id or by name, ignoring case, spaces and punctuation ("Sony QX1" is not enough: use the id). */
export function findCameraPreset(nameOrId: string, custom: readonly CameraPreset[] = []): CameraPreset | undefined {
  const key = normalise(nameOrId);
  return [...custom, ...CAMERA_PRESETS].find((p) => normalise(p.id) === key || normalise(p.name) === key);
}

/** Like findCameraPreset, but an unknown name is an error that lists the known ids. */
export function cameraPreset(nameOrId: string, custom: readonly CameraPreset[] = []): CameraPreset {
  const found = findCameraPreset(nameOrId, custom);
  if (found) return found;
  const ids = [...custom, ...CAMERA_PRESETS].map((p) => p.id).join(', ');
  throw new SurveyInputError(`unknown camera "${nameOrId}"; known cameras: ${ids}`, 'camera');
}

/** A user's own camera; the result can be saved and passed to findCameraPreset as `custom`. */
export function customCamera(id: string, name: string, spec: CameraSpec): CameraPreset {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(id)) throw new SurveyInputError('a custom camera id is 1 to 64 lower-case letters, digits and dashes', 'id');
  if (CAMERA_PRESETS.some((p) => p.id === id)) throw new SurveyInputError(`"${id}" is a built-in camera id; choose another`, 'id');
  validateCamera(spec);
  return { id, name: name.trim() || id, source: 'custom', ...spec };
}
