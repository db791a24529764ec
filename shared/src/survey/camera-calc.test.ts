import { describe, expect, it } from 'vitest';
import { altitudeForGsd, cameraCalc, gsdAtAltitude } from './camera-calc';
import { CAMERA_PRESETS, cameraPreset, customCamera } from './camera-presets';
import { SurveyInputError } from './errors';

const qx1 = cameraPreset('sony-qx1');

describe('cameraCalc (QGroundControl CameraCalc maths)', () => {
  it('reproduces the Sony QX1 vector from the QGC survey documentation', () => {
    expect(qx1).toMatchObject({ sensorWidthMm: 23.2, imageWidthPx: 5456, imageHeightPx: 3632, focalLengthMm: 16 });
    const r = cameraCalc({ camera: qx1, gsdCm: 25, frontOverlapPct: 70, sideOverlapPct: 70 });
    expect(r.altitudeM).toBeCloseTo(940.69, 2);
    expect(Math.abs(r.lineSpacingM - 409.2)).toBeLessThan(0.05);
    expect(Math.abs(r.triggerDistanceM - 272.4)).toBeLessThan(0.05);
  });

  it('gives the same GSD back from the altitude (the two directions agree)', () => {
    const fromAlt = cameraCalc({ camera: qx1, altitudeM: 940.69, frontOverlapPct: 70, sideOverlapPct: 70 });
    expect(fromAlt.gsdCm).toBeCloseTo(25, 3);
    for (const cam of CAMERA_PRESETS) expect(gsdAtAltitude(cam, altitudeForGsd(cam, 2.5))).toBeCloseTo(2.5, 9);
  });

  it('plans the issue example (M3E-like camera, 2.5 cm/px, 75/65 %) at 93.8 m', () => {
    const r = cameraCalc({ camera: { sensorWidthMm: 17.3, sensorHeightMm: 13, imageWidthPx: 5280, imageHeightPx: 3956, focalLengthMm: 12.29 }, gsdCm: 2.5, frontOverlapPct: 75, sideOverlapPct: 65 });
    expect(r.altitudeM).toBeCloseTo(93.77, 2);
    expect(r.lineSpacingM).toBeCloseTo(5280 * 0.025 * 0.35, 9);
    expect(r.triggerDistanceM).toBeCloseTo(3956 * 0.025 * 0.25, 9);
  });

  it('swaps the image sides in portrait orientation', () => {
    const l = cameraCalc({ camera: qx1, altitudeM: 100, frontOverlapPct: 0, sideOverlapPct: 0 });
    const p = cameraCalc({ camera: qx1, altitudeM: 100, frontOverlapPct: 0, sideOverlapPct: 0, landscape: false });
    expect(l.footprintSideM).toBeGreaterThan(l.footprintFrontM);
    expect(p.footprintSideM).toBeLessThan(p.footprintFrontM);
  });

  it('refuses impossible parameters with the parameter named', () => {
    const base = { camera: qx1, frontOverlapPct: 70, sideOverlapPct: 70 };
    expect(() => cameraCalc({ ...base, gsdCm: 2, altitudeM: 50 })).toThrow(/either the altitude or the ground sampling distance/);
    expect(() => cameraCalc({ ...base })).toThrow(SurveyInputError);
    expect(() => cameraCalc({ ...base, altitudeM: -5 })).toThrow(/altitude \(m\) must be a positive number/);
    expect(() => cameraCalc({ ...base, gsdCm: 2, frontOverlapPct: 100 })).toThrow(/front overlap must be from 0 to below 100/);
    expect(() => cameraCalc({ ...base, gsdCm: 2, camera: { ...qx1, focalLengthMm: 0 } })).toThrow(/focal length/);
  });
});

describe('camera presets', () => {
  it('has distinct ids, a source for each entry and plausible figures', () => {
    expect(new Set(CAMERA_PRESETS.map((p) => p.id)).size).toBe(CAMERA_PRESETS.length);
    for (const p of CAMERA_PRESETS) {
      expect(p.source.length).toBeGreaterThan(10);
      // Square-ish pixels: the sensor's and the image's aspect ratios agree within 2 %.
      expect(Math.abs(p.sensorWidthMm / p.sensorHeightMm / (p.imageWidthPx / p.imageHeightPx) - 1)).toBeLessThan(0.02);
    }
  });

  it('finds presets by id or name and lists the known ones for an unknown name', () => {
    expect(cameraPreset('DJI Phantom 4 Pro / Pro V2.0').id).toBe('dji-phantom-4-pro');
    expect(cameraPreset('DJI-MAVIC-3-ENTERPRISE').focalLengthMm).toBe(12.29);
    expect(() => cameraPreset('nikon-d1')).toThrow(/unknown camera "nikon-d1"; known cameras: .*sony-qx1/);
  });

  it('takes custom cameras and looks them up first', () => {
    const mine = customCamera('my-cam', 'My camera', { sensorWidthMm: 10, sensorHeightMm: 7.5, imageWidthPx: 4000, imageHeightPx: 3000, focalLengthMm: 8 });
    expect(cameraPreset('my-cam', [mine]).source).toBe('custom');
    expect(() => customCamera('sony-qx1', 'x', mine)).toThrow(/built-in/);
    expect(() => customCamera('bad', 'x', { ...mine, imageWidthPx: 0 })).toThrow(/image width/);
  });
});
