import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const sargs = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli/src/main.ts'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('the sargs command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sargs-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([[], ['hub'], ['agent'], ['demo'], ['user'], ['user', 'reset-password']])('sargs %s --help explains itself and exits 0', (...sub) => {
    const r = sargs(...sub, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: sargs${sub.length ? ' ' + sub.join(' ') : ''}`);
  });

  it.each([
    [['launch-rockets'], /unknown command 'launch-rockets'/],
    [['hub', '--port', 'eighty'], /must be a port number/],
    [['hub', '--colour', 'red'], /unknown option '--colour'/],
    [['agent'], /required option '--config <file>' not specified/],
    [['demo', '--cameras', '0'], /--cameras must be a whole number from 1 to 32/],
  ])('sargs %j is refused with a usage message and exit code 2', (args, message) => {
    const r = sargs(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    noStackTrace(r.err);
  });

  it('an unreadable or invalid agent configuration is named in one sentence, exit 1', () => {
    let r = sargs('agent', '--config', join(dir, 'missing.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^sargs: cannot read configuration file .*missing\.yaml/);
    noStackTrace(r.err);

    writeFileSync(join(dir, 'bad.yaml'), 'hub:\n  url: http://hub.example\n  enrolmentToken: abcdefghijkl\n');
    r = sargs('agent', '--config', join(dir, 'bad.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad value at "hub\.url"/);

    writeFileSync(join(dir, 'typo.yaml'), 'hub:\n  url: ws://127.0.0.1:9\n  enrolmentToken: abcdefghijkl\nstatusIntervalS: soon\n');
    r = sargs('agent', '--config', join(dir, 'typo.yaml'));
    expect(r.err).toMatch(/bad value at "statusIntervalS"/);

    writeFileSync(join(dir, 'notoken.yaml'), 'hub:\n  url: ws://127.0.0.1:9\n');
    r = sargs('agent', '--config', join(dir, 'notoken.yaml'));
    expect(r.err).toMatch(/"hub\.enrolmentToken" .* is required/);
  });

  it('a hub configuration with a mistake is named by key; secrets must come from the environment or be long', () => {
    writeFileSync(join(dir, 'hub-bad.yaml'), 'alerts:\n  webhooks:\n    - url: ftp://example\n      secret: 0123456789abcdef\n');
    let r = sargs('hub', '--config', join(dir, 'hub-bad.yaml'), '--data', join(dir, 'hubdata'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad value at "alerts\.webhooks\.0\.url"/);
    writeFileSync(join(dir, 'hub-nosecret.yaml'), 'alerts:\n  webhooks:\n    - url: https://example.test/hook\n      secretEnv: SARGS_TEST_UNSET_SECRET\n');
    r = sargs('hub', '--config', join(dir, 'hub-nosecret.yaml'), '--data', join(dir, 'hubdata'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/"alerts\.webhooks\.0" needs a secret/);
    noStackTrace(r.err);
  });

  it('the production bundle (pnpm build) runs without a TypeScript loader', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'cli/dist/sargs.mjs'), 'agent', '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: sargs agent');
  });
});
