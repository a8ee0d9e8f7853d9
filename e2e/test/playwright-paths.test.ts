import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';

// Playwright loads specs straight from the TypeScript sources through the paths of
// tsconfig.playwright.json, not through the `source` export condition that Node and
// vitest use. A workspace export missing there resolves to `dist/`, which exists only
// after `tsc -b`: the specs would pass after `npm test`'s typecheck and fail when run
// on their own. Every `source` export of every workspace has its path, and no other.
const repoRoot = path.resolve(import.meta.dirname, '../..');

interface Exports {
  [subpath: string]: { source?: string } | string;
}

it('tsconfig.playwright.json maps every workspace export to its source', async () => {
  const wanted: Record<string, string[]> = {};
  for (const entry of await readdir(repoRoot, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const manifest = await readFile(path.join(repoRoot, entry.name, 'package.json'), 'utf8').catch(() => undefined);
    if (!manifest) continue;
    const pkg = JSON.parse(manifest) as { name: string; exports?: Exports };
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      if (typeof target !== 'object' || !target.source) continue;
      const name = subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`;
      wanted[name] = [`./${path.posix.join(entry.name, target.source)}`];
    }
  }
  const config = JSON.parse(await readFile(path.join(repoRoot, 'tsconfig.playwright.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  expect(Object.keys(wanted).length).toBeGreaterThan(5);
  expect(config.compilerOptions.paths).toEqual(wanted);
});
