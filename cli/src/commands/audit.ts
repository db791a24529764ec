import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AuditEntry, AuditLog, HubStore } from '@sargs/hub';
import { Command, InvalidArgumentError } from 'commander';

const dataOption = ['--data <dir>', 'the hub data folder', process.env.SARGS_HUB_DATA ?? 'data/hub'] as const;

function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}.`);
    return n;
  };
}

/** Opens the hub database read-only in spirit: never creates one, and says why it cannot open. */
async function withAudit<T>(dataDir: string, fn: (audit: AuditLog) => Promise<T>): Promise<T> {
  const dbDir = resolve(dataDir, 'hub.db');
  // LevelDB would happily create an empty database, and an empty log verifies as intact.
  if (!existsSync(join(dbDir, 'CURRENT'))) throw new Error(`there is no hub database in ${resolve(dataDir)} (use --data to point at the hub's data folder)`);
  const { AuditLog, HubStore } = await import('@sargs/hub');
  let store: HubStore;
  try {
    store = await HubStore.open(dbDir);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new Error(`the hub database in ${resolve(dataDir)} is in use: the hub is running. Stop it first, or ask the running hub with GET /api/audit/verify (as an admin)`);
    }
    throw new Error(`cannot open the hub database in ${resolve(dataDir)}: ${(err as Error).message}`);
  }
  try {
    return await fn(new AuditLog(store.database, { key: process.env.SARGS_AUDIT_KEY }));
  } finally {
    await store.close();
  }
}

const line = (e: AuditEntry) => [
  `#${e.seq}`, e.at, e.actor, e.action, e.target ?? '-',
  ...(e.reason ? [`reason: ${JSON.stringify(e.reason)}`] : []),
  ...(e.details ? [JSON.stringify(e.details)] : []),
].join('  ');

export function auditCommand(): Command {
  const audit = new Command('audit').description('check and read the hub\'s hash-chained audit log offline (stop the hub first)');

  audit.command('verify')
    .description('check every entry\'s hash and link; exits 1 and names the first broken entry if anything was altered or removed')
    .option(...dataOption)
    .option('--json', 'print the result as JSON')
    .action(async (o: { data: string; json?: boolean }) => {
      const result = await withAudit(o.data, (log) => log.verify());
      if (o.json) console.log(JSON.stringify(result, null, 2));
      if (result.ok) {
        if (!o.json) console.log(`audit log intact: ${result.entries} entries${result.head ? `, last #${result.head.seq} ${result.head.hash}` : ''}`);
        return;
      }
      const b = result.firstBroken;
      if (!o.json) {
        const what = b.entry ? ` (${b.entry.action} by ${b.entry.actor} at ${b.entry.at})` : '';
        console.log(`AUDIT LOG BROKEN at entry #${b.seq}: ${b.problem}${what}`);
        console.log(`  ${b.detail}`);
        console.log(`  ${result.entries} entries before it are intact.`);
      }
      process.exitCode = 1;
    });

  audit.command('list')
    .description('show audit entries, newest first')
    .option(...dataOption)
    .option('--limit <n>', 'at most this many entries (1 to 1000)', positiveInt(1000), 100)
    .option('--action <action>', 'only this action, or a family of them ("legal-hold")')
    .option('--actor <name>', 'only entries by this user (or agent:<id>, system)')
    .option('--target <target>', 'only entries about this camera, user…')
    .option('--before <seq>', 'only entries older than this one (paging)', positiveInt(Number.MAX_SAFE_INTEGER))
    .option('--json', 'print the entries as JSON')
    .action(async (o: { data: string; limit: number; action?: string; actor?: string; target?: string; before?: number; json?: boolean }) => {
      const page = await withAudit(o.data, (log) => log.list({ limit: o.limit, action: o.action, actor: o.actor, target: o.target, before: o.before }));
      if (o.json) { console.log(JSON.stringify(page, null, 2)); return; }
      if (page.entries.length === 0) console.log('no audit entries match');
      for (const e of page.entries) console.log(line(e));
      if (page.next !== null) console.log(`(more: --before ${page.next})`);
    });
  return audit;
}
