import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const src = path.resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(name) ? [p] : [];
  });
}

/** app / features/<name> / shared / main */
function layer(file: string): string {
  const rel = path.relative(src, file).split(path.sep);
  if (rel[0] === 'features') return `features/${rel[1]}`;
  return rel.length === 1 ? 'main' : (rel[0] ?? '');
}

describe('imports go one way: app → features → shared', () => {
  it('shared imports only shared; a feature imports only itself and shared', () => {
    const bad: string[] = [];
    for (const file of files(src)) {
      const from = layer(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const to = layer(path.resolve(path.dirname(file), spec ?? ''));
        const ok = from === 'main' || to === 'shared' || to === from || (from === 'app' && to.startsWith('features/'));
        if (!ok) bad.push(`${path.relative(src, file)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
