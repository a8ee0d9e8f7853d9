import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildView, compareFilms, parseMeta, type Snapshot } from '../src/catalog.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { chooseLocale, fromAcceptLanguage } from '../src/i18n.js';
import { ownerKeyMatches } from '../src/moderation.js';
import { RateLimiter } from '../src/ratelimit.js';
import { contentDisposition, downloadFileName } from '../src/s3.js';
import { decodeCursor, encodeCursor, mayBeOnItsWay, pageOf, parseCookies } from '../src/server.js';
import { createMediaUrls } from '../src/urls.js';
import { fixtureArgs, sampleMeta } from './fixtures.js';

const base = { S3_BUCKET: 'films' };

describe('config', () => {
  it('has defaults for everything but the bucket', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      GALLERY_HOST: '0.0.0.0',
      port: 8770,
      REFRESH_SECONDS: 60,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: false,
    });
    expect(c.REDIS_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: '5000' }, 5000],
    [{ GALLERY_PORT: '9000' }, 9000],
    [{ GALLERY_PORT: '9000', PORT: '5000' }, 9000],
    [{ PORT: '' }, 8770],
  ])('takes the port from %o', (env, port) => {
    expect(loadConfig({ ...base, ...env }).port).toBe(port);
  });

  it('lists every bad variable at once', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        GALLERY_PORT: 'eighty',
        REFRESH_SECONDS: '-1',
        REDIS_URL: 'http://localhost',
        S3_FORCE_PATH_STYLE: 'maybe',
        GALLERY_ADMIN_TOKEN: 'short',
        AWS_ACCESS_KEY_ID: 'only-half',
        LOG_LEVEL: 'loud',
        S3_ENDPOINT: 'ftp://x',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const vars = (error?.problems ?? []).map((p) => p.split(':')[0]);
    expect(vars).toEqual(
      expect.arrayContaining([
        'GALLERY_PORT',
        'REFRESH_SECONDS',
        'REDIS_URL',
        'S3_FORCE_PATH_STYLE',
        'GALLERY_ADMIN_TOKEN',
        'AWS_SECRET_ACCESS_KEY',
        'LOG_LEVEL',
        'S3_ENDPOINT',
        'S3_BUCKET',
      ]),
    );
    expect(error?.message).not.toContain('short');
  });
});

describe('download names', () => {
  it.each([
    ['01ABC', 'My film', 'My film.mp4'],
    ['01ABC', null, '01ABC.mp4'],
    ['01ABC', '   ', '01ABC.mp4'],
    ['01ABC', '../../etc/passwd', 'etc passwd.mp4'],
    ['01ABC', 'a:b*c?"d"<e>|f\u0000g', 'a b c d e f g.mp4'],
    ['01ABC', 'הסרט שלי', 'הסרט שלי.mp4'],
  ])('%s / %o → %s', (id, title, name) => {
    expect(downloadFileName(id, title)).toBe(name);
  });

  it('puts non-ASCII names in filename* (RFC 5987) with an ASCII fallback', () => {
    expect(contentDisposition('הסרט שלי.mp4')).toBe(
      `attachment; filename="film.mp4"; filename*=UTF-8''${encodeURIComponent('הסרט שלי.mp4')}`,
    );
    expect(contentDisposition(`Tom's "big" film.mp4`)).toBe(
      `attachment; filename="Tom's big film.mp4"; filename*=UTF-8''Tom%27s%20%22big%22%20film.mp4`,
    );
    expect(contentDisposition('Café.mp4')).toContain('filename="Cafe.mp4"');
  });
});

describe('languages', () => {
  it.each([
    ['he-IL,he;q=0.9,en;q=0.8', 'he'],
    ['ar-EG,ar;q=0.9', 'ar'],
    ['fr-FR,fr;q=0.9,en;q=0.5,he;q=0.7', 'he'],
    ['iw', 'he'],
    ['de, fr', null],
    ['he;q=0, en', 'en'],
    ['', null],
  ])('Accept-Language %s → %s', (header, locale) => {
    expect(fromAcceptLanguage(header)).toBe(locale);
  });

  it('prefers ?lang=, then the cookie, then the header', () => {
    expect(chooseLocale('ar', 'he', 'en')).toBe('ar');
    expect(chooseLocale('xx', 'he', 'en')).toBe('he');
    expect(chooseLocale(undefined, undefined, 'ar')).toBe('ar');
    expect(chooseLocale(undefined, 'nope', 'de')).toBe('en');
  });

  it('parses cookies', () => {
    expect(parseCookies('a=1; lang=he; x=%E2%9C%93; bad=%E0')).toEqual({ a: '1', lang: 'he', x: '✓', bad: '%E0' });
  });
});

describe('catalog view and cursors', () => {
  const t0 = Date.parse('2026-06-01T10:00:00Z');
  const metas = Array.from({ length: 7 }, (_, i) =>
    sampleMeta(`01FILM${String(i).padStart(2, '0')}`, { createdAt: new Date(t0 + (i % 5) * 1000).toISOString() }),
  );
  const snapshot: Snapshot = {
    version: 'v1',
    entries: Object.fromEntries([
      ...metas.map((m) => [m.id, { etag: m.id, meta: m }]),
      ['01HIDDEN', { etag: 'h', meta: sampleMeta('01HIDDEN', { hidden: true }) }],
      ['01BROKEN', { etag: 'b', meta: null }],
    ]),
  };
  const view = buildView(snapshot);

  it('lists visible films newest first, ties broken by id', () => {
    expect(view.films.map((f) => f.id)).toEqual(['01FILM04', '01FILM03', '01FILM02', '01FILM06', '01FILM01', '01FILM05', '01FILM00']);
    expect(view.byId.has('01HIDDEN')).toBe(true);
    expect(view.films.some((f) => f.id === '01HIDDEN')).toBe(false);
    expect(compareFilms(metas[0] as never, metas[0] as never)).toBe(0);
  });

  it('pages through every film exactly once', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = pageOf(view, cursor, 3);
      seen.push(...page.films.map((f) => f.id));
      if (!page.next) break;
      cursor = page.next;
    }
    expect(seen).toEqual(view.films.map((f) => f.id));
  });

  it('keeps its place when a newer film arrives between pages', () => {
    const first = pageOf(view, undefined, 3);
    const newer = buildView({
      ...snapshot,
      version: 'v2',
      entries: {
        ...snapshot.entries,
        '01NEWEST': { etag: 'n', meta: sampleMeta('01NEWEST', { createdAt: new Date(t0 + 99_000).toISOString() }) },
      },
    });
    const second = pageOf(newer, first.next ?? undefined, 3);
    expect(second.films.map((f) => f.id)).toEqual(['01FILM06', '01FILM01', '01FILM05']);
  });

  it('rejects malformed cursors', () => {
    expect(decodeCursor('nonsense')).toBeNull();
    expect(decodeCursor('abc.../etc')).toBeNull();
    expect(decodeCursor(encodeCursor(metas[0] as never))).toEqual({ t: t0, id: '01FILM00' });
  });

  it('accepts only valid meta.json whose id matches its key', () => {
    expect(parseMeta('01A', JSON.stringify(sampleMeta('01A'))).meta?.id).toBe('01A');
    expect(parseMeta('01A', JSON.stringify(sampleMeta('01B'))).meta).toBeNull();
    expect(parseMeta('01A', '{not json').reason).toBe('not JSON');
    expect(parseMeta('01A', JSON.stringify({ ...sampleMeta('01A'), width: 'wide' })).meta).toBeNull();
  });
});

describe('owner key, rate limit, waiting page', () => {
  const key = 'A'.repeat(32);
  const hash = createHash('sha256').update(key).digest('hex');

  it('matches only the key whose sha256 is stored', () => {
    expect(ownerKeyMatches(key, hash)).toBe(true);
    expect(ownerKeyMatches(`${key}B`, hash)).toBe(false);
    expect(ownerKeyMatches(key, undefined)).toBe(false);
    expect(ownerKeyMatches('short', createHash('sha256').update('short').digest('hex'))).toBe(false);
  });

  it('allows a burst, then one action per refill period, per client', () => {
    let t = 0;
    const rl = new RateLimiter(3, 1000, () => t);
    expect([rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([true, true, true, false]);
    expect(rl.take('b')).toBe(true);
    t += 1000;
    expect([rl.take('a'), rl.take('a')]).toEqual([true, false]);
  });

  it('waits only for recent ULIDs', () => {
    const now = Date.parse('2026-06-01T10:00:00Z');
    const ulidAt = (ms: number) => {
      const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
      let s = '';
      let v = ms;
      for (let i = 0; i < 10; i++) {
        s = alphabet[v % 32] + s;
        v = Math.floor(v / 32);
      }
      return `${s}${'0'.repeat(16)}`;
    };
    expect(mayBeOnItsWay(ulidAt(now - 60_000), now)).toBe(true);
    expect(mayBeOnItsWay(ulidAt(now - 90 * 24 * 3600_000), now)).toBe(false);
    expect(mayBeOnItsWay(ulidAt(now + 7 * 24 * 3600_000), now)).toBe(false);
    expect(mayBeOnItsWay('not-a-ulid', now)).toBe(false);
  });
});

describe('fixture media commands', () => {
  it('are argument arrays with the output last', () => {
    const a = fixtureArgs('/tmp/x');
    expect(a.video.at(-1)).toBe('/tmp/x/movie.mp4');
    expect(a.video).toContain('+faststart');
    expect(a.poster.at(-1)).toBe('/tmp/x/poster.jpg');
    expect(a.video.every((arg) => typeof arg === 'string' && !arg.includes(' '))).toBe(true);
  });
});

describe('media URLs', () => {
  const film = sampleMeta('01FILM', { title: 'Ünïcode film' });
  const signer = () => {
    let n = 0;
    const calls: Array<{ key: string; downloadName?: string }> = [];
    const bucket = {
      bucket: 'b',
      listMeta: async () => ({ items: [], pages: 0 }),
      getText: async () => null,
      putJson: async () => {},
      listKeys: async () => [],
      deleteKey: async () => {},
      presignGet: async (key: string, _exp: number, opts?: { downloadName?: string; cacheSeconds?: number }) => {
        calls.push({ key, ...(opts?.downloadName ? { downloadName: opts.downloadName } : {}) });
        return `https://bucket.s3.example.com/${key}?sig=${++n}`;
      },
    };
    return { bucket, calls };
  };

  it('reuses a presigned URL for half its validity, then signs a new one', async () => {
    const { bucket, calls } = signer();
    let t = 0;
    const urls = createMediaUrls({ bucket, presignSeconds: 3600, now: () => t });
    const a = await urls.video(film);
    t += 1799_000;
    expect(await urls.video(film)).toBe(a);
    t += 2000;
    expect(await urls.video(film)).not.toBe(a);
    expect(calls.map((c) => c.key)).toEqual(['movies/01FILM/movie.mp4', 'movies/01FILM/movie.mp4']);
    await urls.download(film);
    expect(calls.at(-1)).toEqual({ key: 'movies/01FILM/movie.mp4', downloadName: 'Ünïcode film.mp4' });
    expect(await urls.origins()).toEqual(['https://bucket.s3.example.com']);
  });

  it('links video and poster through the CDN when S3_PUBLIC_BASE_URL is set, downloads stay presigned', async () => {
    const { bucket } = signer();
    const urls = createMediaUrls({ bucket, presignSeconds: 3600, publicBaseUrl: 'https://cdn.example.org/festival' });
    expect(await urls.video(film)).toBe('https://cdn.example.org/festival/movies/01FILM/movie.mp4');
    expect(await urls.poster(film)).toBe('https://cdn.example.org/festival/movies/01FILM/poster.jpg');
    expect(await urls.download(film)).toMatch(/^https:\/\/bucket\.s3\.example\.com\//);
    expect(await urls.origins()).toEqual(['https://bucket.s3.example.com', 'https://cdn.example.org']);
  });
});
