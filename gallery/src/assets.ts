import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
  hash: string;
  /** The URL pages link to; the hash makes it safe to cache for a year. */
  url: string;
  /** The body as the server sends it (gzipped once, on first demand). */
  entry: { body: Buffer; gz: Buffer | null };
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The gallery's own CSS and JS, read once; external files keep the CSP free of 'unsafe-inline'. */
export function loadAssets(): Map<string, Asset> {
  // From src/ when run from sources, from dist/src/ when built.
  const candidates = ['../static/', '../../static/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const dir = candidates.find((d) => existsSync(`${d}app.css`)) ?? (candidates[0] as string);
  const out = new Map<string, Asset>();
  for (const name of ['app.css', 'app.js', 'icon.svg', 'wall.css', 'wall.js']) {
    const body = readFileSync(`${dir}${name}`);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    const ext = name.slice(name.lastIndexOf('.'));
    out.set(name, {
      body,
      type: TYPES[ext] ?? 'application/octet-stream',
      hash,
      url: `/static/${name}?v=${hash}`,
      entry: { body, gz: null },
    });
  }
  return out;
}
