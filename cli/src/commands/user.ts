import { resolve } from 'node:path';
import type { HubStore } from '@sargs/hub';
import { Command } from 'commander';

export function userCommand(): Command {
  const user = new Command('user').description('manage hub users offline (stop the hub first)');
  user.command('reset-password')
    .description('give a user a new one-time password (they choose their own at next sign-in)')
    .argument('<username>')
    .option('--data <dir>', 'the hub data folder', process.env.SARGS_HUB_DATA ?? 'data/hub')
    .action(async (username: string, o: { data: string }) => {
      const { HubStore } = await import('@sargs/hub');
      const { hashPassword, oneTimePassword } = await import('@sargs/hub/auth/passwords');
      let store: HubStore;
      try {
        store = await HubStore.open(resolve(o.data, 'hub.db'));
      } catch (err) {
        throw new Error(`cannot open the hub database in ${o.data} (is the hub still running?): ${(err as Error).message}`);
      }
      try {
        const u = await store.getUser(username);
        if (!u) throw new Error(`no user "${username}"`);
        const password = oneTimePassword();
        await store.putUser({ ...u, passwordHash: await hashPassword(password), mustChangePassword: true });
        await store.deleteSessionsOf(username);
        const { AuditLog } = await import('@sargs/hub');
        await new AuditLog(store.database, { key: process.env.SARGS_AUDIT_KEY }).append({ actor: 'system', action: 'password.reset', target: username, details: { via: 'sargs user reset-password' } });
        console.log(`One-time password for "${username}": ${password}`);
      } finally {
        await store.close();
      }
    });
  return user;
}
