// The repository's copy of the third-party fixtures is complete and unchanged: every file its
// README lists is there with the listed size and SHA-256, nothing unlisted has crept in, and no
// build output the project ships carries any of it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir, repoRoot } from '../support/paths';

interface Listed { file: string; bytes: number; sha256: string }

function listedFiles(): Listed[] {
  const readme = readFileSync(join(fixturesDir, 'README.md'), 'utf8');
  const section = readme.split(/^## Files in this copy$/m)[1];
  if (!section) throw new Error('test/fixtures/README.md has no "Files in this copy" section');
  return [...section.matchAll(/^\| (\S+) \| (\d+) \| ([0-9a-f]{64}) \|$/gm)]
    .map(([, file, bytes, sha256]) => ({ file: file!, bytes: Number(bytes), sha256: sha256! }));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]);
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('test/fixtures', () => {
  const listed = listedFiles();

  it('lists the files of every fixture family: flight logs, missions and five vendors\' ONVIF captures', () => {
    expect(listed.length).toBeGreaterThan(80);
    const families = new Set(listed.map((l) => l.file.split('/').slice(0, l.file.startsWith('onvif/') ? 2 : 1).join('/')));
    expect([...families].sort()).toEqual(['mavlink', 'missions', 'onvif/axis', 'onvif/hikvision', 'onvif/hikvision-fixed', 'onvif/pelco', 'onvif/trendnet']);
  });

  it('holds every listed file byte for byte (size and SHA-256)', () => {
    const wrong = listed.filter((l) => {
      const path = join(fixturesDir, l.file);
      return !existsSync(path) || statSync(path).size !== l.bytes || sha256(path) !== l.sha256;
    });
    expect(wrong.map((w) => w.file)).toEqual([]);
  });

  it('holds nothing that is not listed', () => {
    const names = new Set(listed.map((l) => l.file));
    const extra = filesUnder(fixturesDir).map((p) => relative(fixturesDir, p)).filter((f) => f !== 'README.md' && !names.has(f));
    expect(extra).toEqual([]);
  });

  it('has a file for every name in the provenance tables', () => {
    const readme = readFileSync(join(fixturesDir, 'README.md'), 'utf8').split(/^## Files in this copy$/m)[0]!;
    // First cells name files, several per row ("a.kml, b.kml") and with globs ("sample*.plan").
    const named = [...readme.matchAll(/^\| ([^|]+?) \|/gm)].flatMap((m) => m[1]!.split(', '))
      .filter((n) => /^[\w.*-]+\.(tlog|bin|plan|txt|kml)$/.test(n));
    expect(named.length).toBeGreaterThanOrEqual(8);
    const all = listed.map((l) => l.file.split('/').pop()!);
    const matches = (pattern: string) => {
      const re = new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
      return all.some((f) => re.test(f));
    };
    expect(named.filter((n) => !matches(n))).toEqual([]);
  });

  it('is not in anything the project ships (the console and the bundled sargs command)', () => {
    const shipped = ['web/dist', 'cli/dist'].map((d) => join(repoRoot, d)).filter(existsSync).flatMap(filesUnder);
    // `npm test` builds both before the tests run; without them this test would prove nothing.
    expect(shipped.length).toBeGreaterThan(2);
    const fixtureNames = new Set(listed.map((l) => l.file.split('/').pop()));
    expect(shipped.filter((p) => fixtureNames.has(p.split('/').pop()))).toEqual([]);
    // A bundler could inline a fixture's text: look for the captured cameras' serial numbers.
    const serials = readdirSync(join(fixturesDir, 'onvif')).map((vendor) =>
      /<tds:SerialNumber>([^<]+)</.exec(readFileSync(join(fixturesDir, 'onvif', vendor, 'core', 'GetDeviceInformation.Response.xml'), 'utf8'))![1]!);
    expect(serials).toHaveLength(5);
    const leaked = shipped.filter((p) => /\.(m?js|html|css|json)$/.test(p) && serials.some((s) => readFileSync(p, 'utf8').includes(s)));
    expect(leaked.map((p) => relative(repoRoot, p))).toEqual([]);
  });
});
