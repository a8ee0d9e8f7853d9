import { type FilmMeta, movieKeys } from '@stop-motion/protocol';
import type { FilmBucket } from './s3.js';
import { downloadFileName } from './s3.js';

/**
 * Video, poster and download URLs. With a CDN (S3_PUBLIC_BASE_URL) they are plain
 * links; otherwise presigned GETs, each reused until less than half its validity
 * is left, so a browser (and the page cache) sees the same URL for hours.
 */
export interface MediaUrls {
  video(film: FilmMeta): Promise<string>;
  poster(film: FilmMeta): Promise<string>;
  download(film: FilmMeta): Promise<string>;
  /** Origins the pages load media from, for the CSP. */
  origins(): Promise<string[]>;
}

const MAX_ENTRIES = 20_000;

export function createMediaUrls(opts: {
  bucket: FilmBucket;
  publicBaseUrl?: string | undefined;
  presignSeconds: number;
  now?: () => number;
}): MediaUrls {
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { url: Promise<string>; renewAt: number }>();
  const signed = (cacheKey: string, key: string, downloadName?: string): Promise<string> => {
    const hit = cache.get(cacheKey);
    const t = now();
    if (hit && hit.renewAt > t) return hit.url;
    if (cache.size >= MAX_ENTRIES) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    const url = opts.bucket.presignGet(
      key,
      opts.presignSeconds,
      downloadName ? { downloadName } : { cacheSeconds: opts.presignSeconds / 2 },
    );
    cache.delete(cacheKey);
    cache.set(cacheKey, { url, renewAt: t + (opts.presignSeconds * 1000) / 2 });
    url.catch(() => cache.delete(cacheKey));
    return url;
  };
  const base = opts.publicBaseUrl;
  const plain = (key: string) => Promise.resolve(`${base}/${key.split('/').map(encodeURIComponent).join('/')}`);
  return {
    video: (f) => (base ? plain(movieKeys(f.id).video) : signed(`v:${f.id}`, movieKeys(f.id).video)),
    poster: (f) => (base ? plain(movieKeys(f.id).poster) : signed(`p:${f.id}`, movieKeys(f.id).poster)),
    // Always presigned: only S3 itself can be told to answer with an attachment name.
    download: (f) => {
      const name = downloadFileName(f.id, f.title);
      return signed(`d:${f.id}:${name}`, movieKeys(f.id).video, name);
    },
    async origins() {
      const sample = await opts.bucket.presignGet('movies/x/poster.jpg', 60);
      const out = new Set([new URL(sample).origin]);
      if (base) out.add(new URL(base).origin);
      return [...out];
    },
  };
}
