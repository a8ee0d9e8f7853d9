import { createS3Client, type S3Service, startS3, waitFor } from '@stop-motion/e2e';
import { createLogger, type Gallery, loadConfig, startGallery } from '@stop-motion/gallery';
import type { FilmMeta } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRequests, type MediaFixture, makeMedia, newId, sampleMeta, uploadFilm } from './fixtures.js';

const HOSTILE = `<script>alert("x")</script> 'quoted' & "double" — שלום עולם مرحبا`;

const ADMIN_TOKEN = 'admin-token-for-the-pages-test';
let s3: S3Service;
let media: MediaFixture;
let gallery: Gallery;
let counter: ReturnType<typeof countRequests>;
let offset = 0;
const films: FilmMeta[] = [];

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gallery.url}${path}`, { headers, redirect: 'manual' });

beforeAll(async () => {
  [s3, media] = await Promise.all([startS3(), makeMedia()]);
  const writer = s3.client();
  const base = Date.now() - 600_000;
  for (let i = 0; i < 30; i++) {
    const id = newId(base + i * 1000);
    const meta = sampleMeta(id, {
      createdAt: new Date(base + i * 1000).toISOString(),
      ...(i === 29 ? { title: HOSTILE } : {}),
      ...(i === 28 ? { title: null } : {}),
    });
    films.push(meta);
    // Media for the newest few only: the pages never touch the others' objects.
    await uploadFilm(writer, s3.bucket, meta, i >= 27 ? media : undefined);
  }
  const client = createS3Client({ ...s3, forcePathStyle: true });
  counter = countRequests(client);
  gallery = await startGallery({
    config: loadConfig({ ...s3.env(), LOG_LEVEL: 'warn', REFRESH_SECONDS: '60', GALLERY_ADMIN_TOKEN: ADMIN_TOKEN }),
    logger: createLogger({ level: 'silent' }),
    s3Client: client,
    now: () => Date.now() + offset,
    host: '127.0.0.1',
    port: 0,
  });
});

afterAll(async () => {
  await gallery?.close();
  await Promise.all([s3?.close(), media?.remove()]);
});

describe('pages', () => {
  it('show hostile titles as text, in the page and in its meta tags', async () => {
    const film = films[29] as FilmMeta;
    const res = await get(`/m/${film.id}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('שלום עולם مرحبا');
    expect(html).toMatch(
      /<meta property="og:title" content="&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &#x27;quoted&#x27; &amp; &quot;double&quot;/,
    );
    // The only scripts are our own external file.
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual([
      expect.stringMatching(/^<script src="\/static\/app\.js\?v=[0-9a-f]{12}" defer/),
    ]);
    const list = await (await get('/')).text();
    expect(list).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(list).not.toContain('<script>alert');
  });

  it('send a CSP without unsafe-inline and the other security headers', async () => {
    const res = await get('/');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain(`media-src 'self' http://127.0.0.1:${s3.port}`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBeTruthy();
    expect(res.headers.get('content-encoding')).toBe('gzip');
  });

  it('list newest first with lazy posters and cursor links that reach every film once', async () => {
    const seen: string[] = [];
    let path = '/';
    for (let i = 0; i < 5 && path; i++) {
      const html = await (await get(path)).text();
      seen.push(...[...html.matchAll(/<a href="\/m\/([A-Z0-9]{26})">/g)].map((m) => m[1] as string));
      path = /<a href="(\/\?cursor=[^"]+)" rel="next">/.exec(html)?.[1]?.replace(/&amp;/g, '&') ?? '';
    }
    expect(seen).toEqual([...films].reverse().map((f) => f.id));
    const first = await (await get('/')).text();
    expect(first.match(/loading="lazy"/g)?.length).toBe(22);
    expect(first).toContain('<img src="http://127.0.0.1:');
  });

  it('offer the film in a video with its poster, a download that names the file, and OpenGraph tags', async () => {
    const film = films[27] as FilmMeta;
    const html = await (await get(`/m/${film.id}`)).text();
    expect(html).toMatch(
      /<video controls="" playsinline="" preload="metadata" poster="http:\/\/127\.0\.0\.1:\d+\/[^"]+poster\.jpg[^"]*" src="http:\/\/127\.0\.0\.1:\d+\/[^"]+movie\.mp4/i,
    );
    expect(html).toContain(`<meta property="og:url" content="${gallery.url}/m/${film.id}"/>`);
    expect(html).toContain('<meta name="twitter:card" content="summary_large_image"/>');
    const videoUrl = (/<video[^>]* src="([^"]+)"/.exec(html)?.[1] ?? '').replace(/&amp;/g, '&');
    const range = await fetch(videoUrl, { headers: { range: 'bytes=0-99' } });
    expect(range.status).toBe(206);
    // Cached for half the default 300 s validity, the time the gallery reuses the URL.
    expect(range.headers.get('cache-control')).toBe('private, max-age=150, immutable');
    expect((await range.arrayBuffer()).byteLength).toBe(100);
    // The same presigned URL again: browsers and caches can reuse it.
    expect(await (await get(`/m/${film.id}?lang=he`)).text()).toContain(videoUrl.replace(/&/g, '&amp;'));

    const dl = await get(`/m/${film.id}/download`);
    expect(dl.status).toBe(302);
    const s3res = await fetch(dl.headers.get('location') ?? '');
    expect(s3res.status).toBe(200);
    expect(s3res.headers.get('content-disposition')).toContain(`filename="${film.title}.mp4"`);
    expect(Buffer.from(await s3res.arrayBuffer()).equals(media.video)).toBe(true);

    const hostile = films[29] as FilmMeta;
    const hdl = await fetch((await get(`/m/${hostile.id}/download`)).headers.get('location') ?? '');
    expect(hdl.headers.get('content-disposition')).toContain(`filename*=UTF-8''`);
    const star = /filename\*=UTF-8''(.+)$/.exec(hdl.headers.get('content-disposition') ?? '')?.[1] ?? '';
    expect(decodeURIComponent(star)).toBe(`script alert( x ) script 'quoted' & double — שלום עולם مرحبا.mp4`);
    await hdl.arrayBuffer();

    const untitled = films[28] as FilmMeta;
    const udl = await fetch((await get(`/m/${untitled.id}/download`)).headers.get('location') ?? '');
    expect(udl.headers.get('content-disposition')).toContain(`filename="${untitled.id}.mp4"`);
    await udl.arrayBuffer();
  });

  it('speak Hebrew and Arabic right to left, chosen by Accept-Language or ?lang= with a cookie', async () => {
    expect(await (await get('/', { 'accept-language': 'he-IL,he;q=0.9' })).text()).toMatch(/^<!doctype html><html lang="he" dir="rtl">/);
    const ar = await get('/?lang=ar', { 'accept-language': 'he' });
    expect(await ar.text()).toMatch(/^<!doctype html><html lang="ar" dir="rtl">/);
    const cookie = ar.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^lang=ar;/);
    const again = await get('/', { cookie: 'lang=ar', 'accept-language': 'en' });
    expect(await again.text()).toContain('lang="ar" dir="rtl"');
    expect(await (await get('/', { 'accept-language': 'fr' })).text()).toContain('lang="en" dir="ltr"');
  });

  it('say "on its way" for a fresh id, refreshing without script, and become the film once meta.json is there', async () => {
    const id = newId();
    const waiting = await get(`/m/${id}`);
    expect(waiting.status).toBe(200);
    expect(waiting.headers.get('cache-control')).toBe('no-store');
    const html = await waiting.text();
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="5"/></noscript>');
    expect(html).toContain(`data-wait-id="${id}"`);
    expect(html).toContain('Your film is on its way');
    expect((await get(`/api/movies/${id}`)).status).toBe(404);
    const meta = sampleMeta(id, { title: 'Just arrived' });
    await uploadFilm(s3.client(), s3.bucket, meta, media);
    // The negative answer is remembered for a few seconds only.
    const film = await waitFor(
      'the film page once the negative answer is forgotten',
      async () => {
        const res = await get(`/m/${id}`);
        const html = await res.text();
        return html.includes('data-wait-id') ? undefined : { status: res.status, html };
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(film.status).toBe(200);
    expect(film.html).toContain('<h1>Just arrived</h1>');
  });

  it('answer 404 for ids that are invalid, unknown or old', async () => {
    for (const path of ['/m/..%2F..%2Fetc', '/m/%3Cscript%3E', '/m/not-a-ulid-but-valid', '/m/01ARZ3NDEKTSV4RRFFQ69G5FAV', '/nope']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toContain('Film not found');
    }
    const api = await get('/api/movies/01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: { code: 'not_found', message: 'no such film' } });
    expect((await get('/api/movies?cursor=..%2F')).status).toBe(400);
  });

  it('serve the JSON API page by page', async () => {
    const first = (await (await get('/api/movies?limit=10')).json()) as { movies: Array<Record<string, unknown>>; next: string };
    expect(first.movies).toHaveLength(10);
    expect(Object.keys(first.movies[0] ?? {})).toEqual(
      expect.arrayContaining(['id', 'title', 'createdAt', 'durationSec', 'posterUrl', 'videoUrl', 'pageUrl', 'downloadUrl']),
    );
    expect(first.movies[0]).not.toHaveProperty('ownerKeyHash');
    const second = (await (await get(`/api/movies?limit=10&cursor=${encodeURIComponent(first.next)}`)).json()) as {
      movies: Array<{ id: string }>;
    };
    expect(second.movies.map((m) => m.id)).not.toContain(first.movies[0]?.id);
    const one = (await (await get(`/api/movies/${films[5]?.id}`)).json()) as { movie: { id: string } };
    expect(one.movie.id).toBe(films[5]?.id);
  });

  it('serve static files with a year of cache when versioned', async () => {
    const html = await (await get('/')).text();
    const css = /href="(\/static\/app\.css\?v=[0-9a-f]+)"/.exec(html)?.[1] ?? '';
    const res = await get(css);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toContain('text/css');
    expect((await get('/static/../package.json')).status).toBe(404);
  });

  it('keep serving the last known list while S3 is down', async () => {
    const before = (await (await get('/api/movies?limit=100')).json()) as { movies: unknown[] };
    await s3.stop();
    try {
      offset += 61_000;
      counter.reset();
      for (let i = 0; i < 5; i++) {
        const res = await get('/api/movies?limit=100');
        expect(res.status).toBe(200);
        expect(((await res.json()) as { movies: unknown[] }).movies).toHaveLength(before.movies.length);
        expect((await get('/')).status).toBe(200);
        await new Promise((r) => setTimeout(r, 200));
      }
      const health = await get('/healthz');
      expect(health.status).toBe(200);
    } finally {
      await s3.start();
    }
  });

  it('never show a stack trace', async () => {
    const res = await fetch(`${gallery.url}/api/movies/${films[0]?.id}/remove`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"key": ',
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(text).not.toContain('node_modules');
  });

  it('let an operator sign in, hide and unhide a film from the admin page', async () => {
    const form = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${gallery.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body).toString(),
      });
    expect(await (await get('/admin')).text()).toContain('Admin token');
    const wrong = await form('/admin/login', { token: 'nope' });
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const ok = await form('/admin/login', { token: ADMIN_TOKEN });
    const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^sms_admin=/);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const target = films[10] as FilmMeta;
    // A form posted from another site is refused even with the cookie.
    const forged = await form(`/admin/m/${target.id}/hide`, {}, { cookie, origin: 'https://evil.example' });
    expect(forged.headers.get('location')).toBe('/admin?msg=sign_in');
    expect((await get(`/m/${target.id}`)).status).toBe(200);
    const hide = await form(`/admin/m/${target.id}/hide`, {}, { cookie, origin: gallery.url });
    expect(hide.status).toBe(303);
    expect((await get(`/m/${target.id}`)).status).toBe(404);
    const page = await (await get('/admin', { cookie })).text();
    expect(page).toContain(`action="/admin/m/${target.id}/unhide"`);
    await form(`/admin/m/${target.id}/unhide`, {}, { cookie, origin: gallery.url });
    expect((await get(`/m/${target.id}`)).status).toBe(200);
    expect((await get('/api/admin/movies')).status).toBe(401);
    const api = await get('/api/admin/movies', { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(((await api.json()) as { movies: unknown[] }).movies.length).toBeGreaterThan(10);
  });

  it('set their cookies with the flags each needs, and gzip large answers that are not cached', async () => {
    const lang = (await get('/?lang=he')).headers.get('set-cookie') ?? '';
    expect(lang.split('; ').sort()).toEqual(['Max-Age=31536000', 'Path=/', 'SameSite=Lax', 'lang=he']);
    const login = await fetch(`${gallery.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    });
    const [session, ...flags] = (login.headers.get('set-cookie') ?? '').split('; ');
    expect(session).toMatch(/^sms_admin=[A-Za-z0-9_-]{43}$/);
    expect(flags.sort()).toEqual(['HttpOnly', expect.stringMatching(/^Max-Age=[1-9]\d*$/), 'Path=/admin', 'SameSite=Strict']);
    const logout = await fetch(`${gallery.url}/admin/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: session ?? '' } });
    expect(logout.headers.get('set-cookie')).toMatch(/^sms_admin=; /);
    expect(logout.headers.get('set-cookie')).toContain('Max-Age=0');
    // The wall's film list is built per request (no cached body): gzipped on the way out.
    const wallFilms = await get('/wall/films', { 'accept-encoding': 'gzip' });
    expect(wallFilms.headers.get('content-encoding')).toBe('gzip');
    expect(((await wallFilms.json()) as { films: unknown[] }).films.length).toBeGreaterThan(5);
    const plain = await get('/wall/films', { 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    await plain.arrayBuffer();
    // The benchmark's baseline route is the benchmark's own.
    expect((await get('/_bench/precomputed?path=/')).status).toBe(404);
  });
});
