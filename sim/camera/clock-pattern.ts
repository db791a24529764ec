// The simulated camera's burnt-in clock: the camera's wall-clock time, in milliseconds since the Unix
// epoch, painted as blocks into the top-left corner of every frame, so a test or benchmark can read
// back from a decoded frame (in Node or in a browser) when the camera made it.
//
// The pattern: blocks of CLOCK_BLOCK × CLOCK_BLOCK px starting at the frame's (0,0), CLOCK_ROWS rows of
// CLOCK_COLUMNS blocks, 48 bits in all, most significant bit first, row by row (bit 47 is the top-left
// block, bit 0 the bottom-right one). A white block (luma CLOCK_WHITE) is a 1, a black one (luma
// CLOCK_BLACK) a 0. The frame must be at least CLOCK_WIDTH × CLOCK_HEIGHT px; everything else is free.
// sim/camera/rtsp_server.py paints the same pattern in Python (paint_clock); keep the two in step.
//
// This module imports nothing, so it also runs in a browser, and readClockFromRgba can be sent into a
// page as source text (see there).

export const CLOCK_BLOCK = 16, CLOCK_COLUMNS = 16, CLOCK_ROWS = 3;
/** Bits in the pattern: enough for any millisecond time until the year 10889. */
export const CLOCK_BITS = CLOCK_COLUMNS * CLOCK_ROWS;
/** The region the pattern covers, from the frame's top-left corner: 256 × 48 px. */
export const CLOCK_WIDTH = CLOCK_BLOCK * CLOCK_COLUMNS, CLOCK_HEIGHT = CLOCK_BLOCK * CLOCK_ROWS;
/** Luma of a 1 and of a 0 block: video-range white and black. */
export const CLOCK_WHITE = 235, CLOCK_BLACK = 16;

/**
 * Paints `ms` (an integer, 0 ≤ ms < 2^48) into the top-left CLOCK_WIDTH × CLOCK_HEIGHT px of an I420
 * (or any 8-bit) luma plane whose row stride is `width`; the rest of the plane is left as it is.
 * Throws a RangeError if the frame or the plane is too small or `ms` does not fit.
 */
export function paintClockLuma(y: Uint8Array, width: number, height: number, ms: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < CLOCK_WIDTH || height < CLOCK_HEIGHT) {
    throw new RangeError(`the clock pattern needs a frame of at least ${CLOCK_WIDTH}x${CLOCK_HEIGHT} px, got ${width}x${height}`);
  }
  if (y.length < width * height) throw new RangeError(`luma plane of ${y.length} bytes is smaller than ${width}x${height}`);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 2 ** CLOCK_BITS) throw new RangeError(`cannot paint ${ms} in ${CLOCK_BITS} bits`);
  for (let bit = 0; bit < CLOCK_BITS; bit++) {
    // Arithmetic, not bitwise operators: those cut numbers to 32 bits.
    const one = Math.floor(ms / 2 ** (CLOCK_BITS - 1 - bit)) % 2 === 1;
    const x0 = (bit % CLOCK_COLUMNS) * CLOCK_BLOCK;
    const y0 = Math.floor(bit / CLOCK_COLUMNS) * CLOCK_BLOCK;
    for (let row = y0; row < y0 + CLOCK_BLOCK; row++) {
      y.fill(one ? CLOCK_WHITE : CLOCK_BLACK, row * width + x0, row * width + x0 + CLOCK_BLOCK);
    }
  }
}

/**
 * Reads the clock back from RGBA pixels (4 bytes a pixel, as a canvas's `getImageData` gives them)
 * holding at least the frame's top-left 256 × 48 px, with `width` pixels a row (the buffer's row
 * stride; pass the ImageData's width). Each block's central 8 × 8 px are averaged (BT.601 luma of the
 * RGB, so full-range: black ≈ 0, white ≈ 255) and compared with mid-grey, 128.
 *
 * Returns the milliseconds since the epoch, or null when the pattern is not there or not readable:
 * the buffer is too small, a block's average lies between 80 and 170 (a blurred, half-decoded or
 * absent pattern: the simulator's grey background reads as ambiguous), or the time lies outside
 * `ms.min` ≤ t < `ms.max` (default 2020-01-01 to 2100-01-01 UTC).
 *
 * Self-contained on purpose: it refers to nothing outside its own body (its constants are written
 * out, not taken from the module) and defines no inner functions, so its source text alone works
 * in a browser page, e.g. with Playwright or Puppeteer:
 *
 *   const read = `(${readClockFromRgba.toString()})`;
 *   await page.evaluate(`${read}(ctx.getImageData(0, 0, 256, 48).data, 256)`);
 *
 * (clock-pattern.test.ts checks that a copy rebuilt from the source text reads the same.)
 */
export function readClockFromRgba(rgba: Uint8ClampedArray | Uint8Array, width: number, ms?: { min?: number; max?: number }): number | null {
  // Literals, not the module's constants: see above. 16 px blocks, 16 columns, 3 rows, 8 × 8 px sampled.
  const block = 16, columns = 16, rows = 3, inset = 4, sample = 8;
  const min = ms && typeof ms.min === 'number' ? ms.min : 1577836800000; // 2020-01-01T00:00:00Z
  const max = ms && typeof ms.max === 'number' ? ms.max : 4102444800000; // 2100-01-01T00:00:00Z
  if (!(width >= block * columns) || rgba.length < width * block * rows * 4) return null;
  let value = 0;
  for (let bit = 0; bit < columns * rows; bit++) {
    const x0 = (bit % columns) * block + inset;
    const y0 = Math.floor(bit / columns) * block + inset;
    let sum = 0;
    for (let yy = y0; yy < y0 + sample; yy++) {
      for (let xx = x0; xx < x0 + sample; xx++) {
        const i = (yy * width + xx) * 4;
        sum += 0.299 * (rgba[i] ?? 0) + 0.587 * (rgba[i + 1] ?? 0) + 0.114 * (rgba[i + 2] ?? 0);
      }
    }
    const mean = sum / (sample * sample);
    if (mean > 80 && mean < 170) return null;
    value = value * 2 + (mean >= 128 ? 1 : 0);
  }
  return value >= min && value < max ? value : null;
}
