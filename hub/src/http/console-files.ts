import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.map': 'application/json',
};

/**
 * Serves the built console (a handful of files) from memory. Only names present at
 * start-up are routes, so nothing outside the folder can ever be reached.
 */
export function consoleFiles(app: FastifyInstance, dir: string | undefined): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  if (dir && existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
    }
  }
  const index = files.get('index.html');
  const csp = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
  app.get('/', { config: { access: 'public' } }, (_req, reply) => {
    if (!index) return reply.code(503).type('text/plain').send('The console is not built: run `pnpm build:web`.');
    return reply.header('content-security-policy', csp).type(index.type).send(index.body);
  });
  for (const [name, f] of files) {
    if (name === 'index.html') continue;
    app.get(`/${name}`, { config: { access: 'public' } }, (_req, reply) => reply.header('cache-control', 'no-cache').type(f.type).send(f.body));
  }
}
