import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { ensureFirstAdmin } from './auth/users';
import type { AlertSettingsInput } from './alerts/settings';
import { buildServer, type HubServer } from './server';
import { HubStore } from './store/hub-store';

export interface HubOptions {
  dataDir: string;
  host?: string;
  port?: number;
  consoleDir?: string;
  secureCookies?: boolean;
  logger?: Logger;
  /** Called once, at the very first start, with the admin's one-time password. */
  onFirstAdmin?: (password: string) => void;
  /** Alert rules and channels (webhooks, e-mail); defaults apply to what is left out. */
  alerts?: AlertSettingsInput;
  /** Tile URL template for the console's maps; SARGS_MAP_TILES, else OpenStreetMap's. */
  mapTiles?: string;
}

export interface RunningHub extends HubServer {
  url: string;
  store: HubStore;
  close(): Promise<void>;
}

export async function startHub(opts: HubOptions): Promise<RunningHub> {
  mkdirSync(opts.dataDir, { recursive: true });
  const logger = opts.logger ?? pino({ name: 'hub', redact: ['req.headers.authorization', 'req.headers.cookie'] });
  const store = await HubStore.open(join(opts.dataDir, 'hub.db'));
  const firstPassword = await ensureFirstAdmin(store);
  if (firstPassword) opts.onFirstAdmin?.(firstPassword);
  const server = await buildServer({ store, logger, consoleDir: opts.consoleDir, secureCookies: opts.secureCookies, alerts: opts.alerts, mapTiles: opts.mapTiles });
  const address = await server.app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  const url = address.replace('[::1]', 'localhost');
  return {
    ...server, url, store,
    async close() {
      await server.app.close();
      await store.close();
    },
  };
}
