import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // data/ holds the demo's state and temporary files (a test's clone of the repository among them).
    exclude: ['**/node_modules/**', '**/dist/**', 'data/**', '.tools/**'],
    // Integration tests start real processes (ffmpeg, GStreamer, chromium); two cores.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // expect.poll watches state another process changes; on a loaded 2-core machine
    // a scrypt sign-in alone can take a second, so vitest's 1 s default is too tight.
    expect: { poll: { timeout: 15_000, interval: 50 } },
  },
});
