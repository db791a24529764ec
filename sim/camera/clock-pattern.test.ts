import { describe, expect, it } from 'vitest';
import { CLOCK_BLOCK, CLOCK_COLUMNS, CLOCK_HEIGHT, CLOCK_ROWS, CLOCK_WIDTH, paintClockLuma, readClockFromRgba } from './clock-pattern';

const GREY = 128;

/** A grey luma plane, as the simulator paints its background. */
function greyPlane(width: number, height: number): Uint8Array {
  return new Uint8Array(width * height).fill(GREY);
}

/** What a decoder and a canvas make of a grey-chroma video-range luma plane: full-range RGBA. */
function lumaToRgba(y: Uint8Array, width: number, height: number): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = Math.round((((y[i] ?? 0) - 16) * 255) / 219);
    rgba.set([v, v, v, 255], i * 4);
  }
  return rgba;
}

/** The top-left w × h px of an RGBA frame, as getImageData(0, 0, w, h) gives them. */
function crop(rgba: Uint8ClampedArray, width: number, w: number, h: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let row = 0; row < h; row++) out.set(rgba.subarray(row * width * 4, (row * width + w) * 4), row * w * 4);
  return out;
}

const SAMPLES = [
  Date.UTC(2020, 0, 1),
  Date.UTC(2026, 4, 17, 12, 34, 56, 789),
  Date.UTC(2099, 11, 31, 23, 59, 59, 999),
  1_777_777_777_777,
  // Alternating bits (2051 and 2062), so every block below the top few is both a 0 and a 1 somewhere.
  0x255_5555_5555,
  0x2aa_aaaa_aaaa,
  Date.UTC(2050, 0, 1) + 2 ** 20 - 1,
];

describe('clock pattern', () => {
  it('is 3 rows of 16 blocks of 16 px: 48 bits in 256 × 48 px', () => {
    expect([CLOCK_BLOCK, CLOCK_COLUMNS, CLOCK_ROWS, CLOCK_WIDTH, CLOCK_HEIGHT]).toEqual([16, 16, 3, 256, 48]);
  });

  it.each(SAMPLES)('reads back %d after painting it into a frame', (ms) => {
    for (const [width, height] of [[640, 360], [320, 180], [256, 48]] as const) {
      const y = greyPlane(width, height);
      paintClockLuma(y, width, height, ms);
      const rgba = lumaToRgba(y, width, height);
      // The whole frame, with its own stride...
      expect(readClockFromRgba(rgba, width)).toBe(ms);
      // ...and the 256 × 48 corner a canvas hands out.
      expect(readClockFromRgba(crop(rgba, width, CLOCK_WIDTH, CLOCK_HEIGHT), CLOCK_WIDTH)).toBe(ms);
    }
  });

  it('paints most significant bit first, row by row, white for 1 and black for 0, and nothing else', () => {
    const width = 320, height = 64;
    const y = greyPlane(width, height);
    // Bit 47 (top-left) and bit 0 (bottom-right) set, all others clear.
    paintClockLuma(y, width, height, 2 ** 47 + 1);
    const at = (x: number, row: number): number | undefined => y[row * width + x];
    expect(at(0, 0)).toBe(235);
    expect(at(15, 15)).toBe(235);
    expect(at(16, 0)).toBe(16);
    expect(at(255, 47)).toBe(235);
    expect(at(240, 32)).toBe(235);
    expect(at(239, 47)).toBe(16);
    expect(at(256, 0)).toBe(GREY);
    expect(at(0, 48)).toBe(GREY);
    expect(y.subarray(48 * width).every((v) => v === GREY)).toBe(true);
  });

  it('survives mild coding noise and blurred block edges', () => {
    const width = 320, height = 180;
    const ms = SAMPLES[1] ?? 0;
    const y = greyPlane(width, height);
    paintClockLuma(y, width, height, ms);
    // ±30 of noise everywhere, and every block's border pixels smeared to grey.
    let seed = 1;
    for (let i = 0; i < y.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const row = Math.floor(i / width), col = i % width;
      const edge = row % 16 < 2 || row % 16 > 13 || col % 16 < 2 || col % 16 > 13;
      y[i] = Math.max(0, Math.min(255, (edge ? GREY : (y[i] ?? 0)) + (seed % 61) - 30));
    }
    expect(readClockFromRgba(lumaToRgba(y, width, height), width)).toBe(ms);
  });

  it('answers null for an ambiguous block, a frame without the pattern, a time out of range or too few pixels', () => {
    const width = 320, height = 180;
    const ms = SAMPLES[1] ?? 0;
    const y = greyPlane(width, height);
    paintClockLuma(y, width, height, ms);
    const good = lumaToRgba(y, width, height);
    expect(readClockFromRgba(good, width)).toBe(ms);

    // One block (row 1, column 5) half way between black and white.
    const ambiguous = y.slice();
    for (let row = 16; row < 32; row++) ambiguous.fill(126, row * width + 80, row * width + 96);
    expect(readClockFromRgba(lumaToRgba(ambiguous, width, height), width)).toBeNull();

    // The grey background alone.
    expect(readClockFromRgba(lumaToRgba(greyPlane(width, height), width, height), width)).toBeNull();

    // A readable pattern that is no plausible time (2019), unless the caller widens the range.
    const early = Date.UTC(2019, 5, 1);
    const y2 = greyPlane(width, height);
    paintClockLuma(y2, width, height, early);
    const earlyRgba = lumaToRgba(y2, width, height);
    expect(readClockFromRgba(earlyRgba, width)).toBeNull();
    expect(readClockFromRgba(earlyRgba, width, { min: 0 })).toBe(early);
    expect(readClockFromRgba(good, width, { max: ms })).toBeNull();

    // Too narrow a stride, too few rows.
    expect(readClockFromRgba(good, 200)).toBeNull();
    expect(readClockFromRgba(crop(good, width, CLOCK_WIDTH, 40), CLOCK_WIDTH)).toBeNull();
  });

  it('refuses to paint into a frame that is too small or a time that does not fit', () => {
    expect(() => paintClockLuma(new Uint8Array(255 * 48), 255, 48, 1)).toThrow(RangeError);
    expect(() => paintClockLuma(new Uint8Array(256 * 47), 256, 47, 1)).toThrow(RangeError);
    expect(() => paintClockLuma(new Uint8Array(100), 256, 48, 1)).toThrow(RangeError);
    expect(() => paintClockLuma(greyPlane(256, 48), 256, 48, 2 ** 48)).toThrow(RangeError);
    expect(() => paintClockLuma(greyPlane(256, 48), 256, 48, 1.5)).toThrow(RangeError);
  });

  it('readClockFromRgba works from its source text alone, as page.evaluate runs it', () => {
    const width = 256, height = 48;
    const ms = SAMPLES[1] ?? 0;
    const y = greyPlane(width, height);
    paintClockLuma(y, width, height, ms);
    // new Function sees globals only, not this module: any reference to a module binding would throw.
    const rebuilt = new Function(`return (${readClockFromRgba.toString()});`)() as typeof readClockFromRgba;
    expect(rebuilt(lumaToRgba(y, width, height), width)).toBe(ms);
    expect(rebuilt(lumaToRgba(greyPlane(width, height), width, height), width)).toBeNull();
  });
});
