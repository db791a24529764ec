import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { HubStore } from '../store/hub-store';

/** A grid of live tiles a user saved by name: its size and the camera in each tile (null: empty). */
export const LiveLayout = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  size: Type.Union([Type.Literal(1), Type.Literal(4), Type.Literal(9), Type.Literal(16)]),
  tiles: Type.Array(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]), { maxItems: 16 }),
}, { additionalProperties: false });
export const LiveLayouts = Type.Object({ layouts: Type.Array(LiveLayout, { maxItems: 50 }) }, { additionalProperties: false });
export type LiveLayouts = Static<typeof LiveLayouts>;

/**
 * Each user's saved grid layouts, kept in the hub (so they follow the user to another browser) in
 * a sublevel of their own: `GET` lists them, `PUT` replaces the whole list.
 */
export function layoutRoutes(app: FastifyInstance, deps: { store: HubStore }, access: readonly ('admin' | 'operator' | 'security')[]): void {
  const db = deps.store.database.sublevel<string, LiveLayouts>('video-layouts', { valueEncoding: 'json' });

  app.get('/api/video/layouts', { config: { access } }, async (req) => {
    const kept = await db.get(req.user!.username);
    return { layouts: kept?.layouts ?? [] };
  });

  app.put('/api/video/layouts', { config: { access }, schema: { body: LiveLayouts } }, async (req, reply) => {
    const body = req.body as LiveLayouts;
    const names = new Set<string>();
    for (const l of body.layouts) {
      if (l.tiles.length > l.size) return reply.code(400).send({ error: `layout "${l.name}" has ${l.tiles.length} tiles, more than its ${l.size}` });
      if (names.has(l.name)) return reply.code(400).send({ error: `two layouts are named "${l.name}"` });
      names.add(l.name);
    }
    await db.put(req.user!.username, body);
    return body;
  });
}
