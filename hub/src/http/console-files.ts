import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.map': 'application/json',
};

/** Map tiles for the drone pages unless SARGS_MAP_TILES names other ones (or "off"). */
export const DEFAULT_MAP_TILES = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';

/**
 * The tile server's origin for the CSP (`{s}` subdomains become `*.`), or undefined when
 * tiles are off. A template that is not an http(s) URL turns tiles off with a warning.
 */
export function mapTileSource(template: string | undefined, warn: (msg: string) => void): { template: string; origin: string } | undefined {
  const t = (template ?? DEFAULT_MAP_TILES).trim();
  if (!t || t === 'off') return undefined;
  try {
    const u = new URL(t.replace('{s}', 'sub-domain'));
    if ((u.protocol !== 'https:' && u.protocol !== 'http:') || /[{}]/.test(decodeURIComponent(u.host))) throw new Error('not an http(s) URL with a plain host');
    return { template: t, origin: `${u.protocol}//${u.host.replace('sub-domain', '*')}` };
  } catch (err) {
    warn(`map tiles turned off: "${t}" is not a usable tile URL template (${(err as Error).message})`);
    return undefined;
  }
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Serves the built console (a handful of files) from memory. Only names present at
 * start-up are routes, so nothing outside the folder can ever be reached.
 */
export function consoleFiles(app: FastifyInstance, dir: string | undefined, mapTiles?: string): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  if (dir && existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
    }
  }
  const tiles = mapTileSource(mapTiles, (msg) => app.log.warn(msg));
  const page = files.get('index.html');
  // The page names the tile server for the maps, and the CSP lets images come from it (only it).
  const index = page && { ...page, body: Buffer.from(page.body.toString('utf8').replace('</head>', `  <meta name="sargs-map-tiles" content="${attr(tiles?.template ?? '')}">\n</head>`)) };
  const csp = `default-src 'self'; img-src 'self' data: blob:${tiles ? ` ${tiles.origin}` : ''}; style-src 'self'; script-src 'self'; media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'`;
  app.get('/', { config: { access: 'public' } }, (_req, reply) => {
    if (!index) return reply.code(503).type('text/plain').send('The console is not built: run `pnpm build:web`.');
    return reply.header('content-security-policy', csp).type(index.type).send(index.body);
  });
  for (const [name, f] of files) {
    if (name === 'index.html') continue;
    app.get(`/${name}`, { config: { access: 'public' } }, (_req, reply) => reply.header('cache-control', 'no-cache').type(f.type).send(f.body));
  }
}
