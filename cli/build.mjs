// Bundles the `sargs` command into one ESM file for production: no TypeScript loader at
// run time (tsx alone costs ~37 MB of RSS per process) and a faster start on a small gateway.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });

const BANNER = [
  "import { createRequire as __sargsRequire } from 'node:module';",
  "import { fileURLToPath as __sargsFileUrl } from 'node:url';",
  "import { dirname as __sargsDirname } from 'node:path';",
  'const require = __sargsRequire(import.meta.url);',
  'const __filename = __sargsFileUrl(import.meta.url);',
  'const __dirname = __sargsDirname(__filename);',
].join(' ');

await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Each subcommand's code is a separate chunk loaded only when that subcommand runs.
  splitting: true,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  entryNames: 'sargs',
  chunkNames: 'chunks/[name]-[hash]',
  // Native addons load their compiled binding from their own package folder (serialport's
  // bindings, also under dmx); bundled, they look for it next to the bundle and fail at import.
  external: ['level', 'classic-level', 'serialport', '@serialport/*', 'dmx'],
  // CommonJS dependencies call require() (onvif, xml2js) and read __dirname (fluent-ffmpeg, at
  // construction); an ESM bundle has neither, so give it both.
  banner: { js: BANNER },
  sourcemap: true,
  logLevel: 'warning',
});
