import { resolve } from 'node:path';
import { Command } from 'commander';
import { parsePort, untilSignal } from '../options';
import { consoleDir } from '../paths';

export function hubCommand(): Command {
  return new Command('hub')
    .description('run the hub: API, agent gateway and web console')
    .option('--data <dir>', 'folder for the hub database', process.env.SARGS_HUB_DATA ?? 'data/hub')
    .option('--host <address>', 'address to listen on', process.env.SARGS_HUB_HOST ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on', parsePort, Number(process.env.SARGS_HUB_PORT ?? 8080))
    .option('--secure-cookies', 'mark session cookies Secure (behind an HTTPS reverse proxy)', false)
    .option('--config <file>', 'hub configuration (YAML or JSON): alert webhooks and e-mail', process.env.SARGS_HUB_CONFIG)
    .action(async (o: { data: string; host: string; port: number; secureCookies: boolean; config?: string }) => {
      const { startHub, loadHubConfig } = await import('@sargs/hub');
      const config = o.config ? loadHubConfig(o.config) : { alerts: {} };
      const hub = await startHub({
        alerts: config.alerts,
        dataDir: resolve(o.data), host: o.host, port: o.port, consoleDir, secureCookies: o.secureCookies,
        onFirstAdmin: (password) => printFirstAdmin(password),
      });
      console.log(`Sargs hub listening on ${hub.url}`);
      await untilSignal();
      await hub.close();
    });
}

export function printFirstAdmin(password: string): void {
  // Printed to the terminal once, never logged: it is a secret.
  console.log('\nFirst start: created user "admin" with one-time password:\n\n    ' + password + '\n\nSign in with it and choose your own password; it will not be shown again.\n');
}
