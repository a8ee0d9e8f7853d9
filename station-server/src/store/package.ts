// A finished movie as a package: its manifest, how it is sealed on disk, and the recent list read back from packages.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, writeFileDurable } from '@stop-motion/kit';
import {
  DONE_FILE,
  flagForPublish,
  frameFileName,
  isValidId,
  type Locale,
  MANIFEST_FILE,
  type ManifestV1,
  manifestV1Schema,
  PACKAGE_FORMAT,
  PACKAGE_VERSION,
  type Publish,
  parseManifest,
  type RecentMovie,
} from '@stop-motion/protocol';
import type { StoredFrame } from './frames.js';

export interface ManifestFields {
  id: string;
  stationId: string;
  createdAt: string;
  fps: number;
  width: number;
  height: number;
  publish: Publish;
  title?: string | undefined;
  locale?: Locale | undefined;
  soundtrack?: string | undefined;
  ownerKeyHash: string;
  frames: readonly StoredFrame[];
}

/** The package's manifest, finished now; a blank title is left out. */
export function buildManifest(fields: ManifestFields): ManifestV1 {
  const title = fields.title?.trim();
  return manifestV1Schema.parse({
    format: PACKAGE_FORMAT,
    version: PACKAGE_VERSION,
    id: fields.id,
    stationId: fields.stationId,
    createdAt: fields.createdAt,
    finishedAt: new Date().toISOString(),
    fps: fields.fps,
    width: fields.width,
    height: fields.height,
    publish: fields.publish,
    ...(title ? { title } : {}),
    ...(fields.locale ? { locale: fields.locale } : {}),
    ...(fields.soundtrack ? { soundtrack: fields.soundtrack } : {}),
    ownerKeyHash: fields.ownerKeyHash,
    frames: fields.frames.map((f) => ({ file: f.file, sha256: f.sha256 })),
  });
}

/** Manifest and publish flag made durable first, DONE last: a package with DONE is complete. */
export async function sealPackage(dir: string, manifest: ManifestV1): Promise<void> {
  await writeFileDurable(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { syncDir: false });
  await writeFileDurable(path.join(dir, flagForPublish(manifest.publish)), '', { syncDir: false });
  await fsyncDir(dir);
  await writeFileDurable(path.join(dir, DONE_FILE), '');
}

export function recentFromManifest(m: ManifestV1): RecentMovie {
  const n = m.frames.length;
  return {
    id: m.id,
    finishedAt: m.finishedAt,
    frameCount: n,
    publish: m.publish,
    posterFile: n > 0 ? frameFileName(Math.floor(n / 2)) : null,
  };
}

async function readRecent(dir: string, id: string): Promise<RecentMovie | null> {
  const text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  const parsed = parseManifest(text, id);
  if (!parsed.ok) return null;
  return recentFromManifest(parsed.value);
}

/** The newest `limit` packages in these folders (outbox and sent), newest first; a package without a readable manifest is skipped. */
export async function listRecent(bases: readonly string[], limit: number): Promise<RecentMovie[]> {
  const found: RecentMovie[] = [];
  for (const base of bases) {
    for (const id of (await readdir(base)).filter(isValidId)) {
      const recent = await readRecent(path.join(base, id), id);
      if (recent) found.push(recent);
    }
  }
  found.sort((a, b) => (a.id < b.id ? 1 : -1));
  return found.slice(0, limit);
}
