// A clone stands alone: no file in the repository names a folder beside it (our own workspace
// keeps a `shared/` folder next to the clone; a user's machine has none), and no relative path in
// the code climbs out of the repository.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/paths';

const THIS_FILE = 'test/repository/boundary.test.ts';

/** Tracked files and new ones not yet committed, as a clone would have them. */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot });
  return out.toString('utf8').split('\0').filter((f) => f && existsSync(join(repoRoot, f)));
}

const isText = (buf: Buffer) => !buf.subarray(0, 8000).includes(0);
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|py|sh)$/;

/** The sibling folder and its fixtures, spelled the ways code and prose spell them. */
const OUTSIDE = [
  ['shared', 'fixtures'].join('/'),
  ['shared', 'DESIGN.md'].join('/'),
  `'shared', 'fixtures'`,
  `"shared", "fixtures"`,
];

/** Relative specifiers in imports, dynamic imports, `new URL(x, import.meta.url)` and requires. */
function relativeSpecifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s+['"](\.{1,2}\/[^'"]*)['"]/g,
    /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]*)['"]/g,
    /\bimport\s+['"](\.{1,2}\/[^'"]*)['"]/g,
    /\brequire\s*\(\s*['"](\.{1,2}\/[^'"]*)['"]/g,
    /new URL\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*,\s*import\.meta\.url/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) found.push(m[1]!);
  return found;
}

/** `join(dirname(fileURLToPath(import.meta.url)), '..', '..')` and the like: how many levels up. */
function climbs(text: string): number[] {
  const re = /(?:dirname\(fileURLToPath\(import\.meta\.url\)\)|import\.meta\.dirname|__dirname)\s*,((?:\s*['"]\.\.['"]\s*,?)+)/g;
  return [...text.matchAll(re)].map((m) => (m[1]!.match(/\.\./g) ?? []).length);
}

const inside = (path: string) => path === repoRoot || path.startsWith(repoRoot + sep);

describe('the repository stands alone', () => {
  const files = repositoryFiles();

  it('finds the files it checks (git sees the checkout)', () => {
    expect(files).toContain('package.json');
    expect(files.length).toBeGreaterThan(300);
  });

  it('no file refers to the folder beside the repository or its fixtures', () => {
    const offenders: string[] = [];
    for (const f of files) {
      // The lockfile's `link:../shared` are workspace links, relative to each package's folder.
      if (f === THIS_FILE || f === 'pnpm-lock.yaml') continue;
      const buf = readFileSync(join(repoRoot, f));
      if (!isText(buf)) continue;
      const text = buf.toString('utf8');
      for (const needle of OUTSIDE) if (text.includes(needle)) offenders.push(`${f}: ${needle}`);
    }
    expect(offenders).toEqual([]);
  });

  it('no relative import, URL or folder walk in the code leaves the repository', () => {
    const offenders: string[] = [];
    for (const f of files.filter((x) => SOURCE.test(x) && x !== THIS_FILE)) {
      const text = readFileSync(join(repoRoot, f), 'utf8');
      const dir = dirname(join(repoRoot, f));
      for (const spec of relativeSpecifiers(text)) {
        if (!inside(resolve(dir, spec))) offenders.push(`${f}: ${spec}`);
      }
      for (const up of climbs(text)) {
        if (!inside(resolve(dir, ...Array<string>(up).fill('..')))) offenders.push(`${f}: ${up} levels up`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the checks above catch what they look for', () => {
    // Guard against a check that can never fail: each pattern must fire on a known offender.
    const sample = `import x from '../../../../elsewhere/x';\nconst p = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..');`;
    const dir = join(repoRoot, 'agent', 'src', 'cameras');
    expect(relativeSpecifiers(sample).map((s) => inside(resolve(dir, s)))).toEqual([false]);
    expect(climbs(sample)).toEqual([5]);
    expect(inside(resolve(dir, '..', '..', '..', '..'))).toBe(false);
    expect(relative(repoRoot, resolve(dir, '..', '..', '..'))).toBe('');
  });
});
