// Bundles the console into dist/ (one script, one stylesheet, one page) for the hub to serve.
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
cpSync('public', 'dist', { recursive: true });
await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  outfile: 'dist/app.js',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
});
// Leaflet's and uPlot's stylesheets with the drone pages' own, served from the hub (the CSP
// allows no other origin); Leaflet's few images are inlined as data: URLs.
await build({ entryPoints: ['src/drones.css'], bundle: true, outfile: 'dist/drones.css', minify: true, loader: { '.png': 'dataurl' }, logLevel: 'warning' });
