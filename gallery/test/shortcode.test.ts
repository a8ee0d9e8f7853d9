import { createS3Client, type S3Service, startS3 } from '@stop-motion/e2e';
import { createLogger, type Gallery, loadConfig, startGallery } from '@stop-motion/gallery';
import type { FilmMeta } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildView } from '../src/catalog.js';
import { filmsWithCode, normalizeCode } from '../src/shortcode.js';
import { newId, sampleMeta, uploadFilm } from './fixtures.js';

describe('short codes', () => {
  it('take what a family types: any case, spaces, dashes, O for 0 and I or L for 1', () => {
    const cases: Array<[string, string | null]> = [
      ['7K3QXZ', '7K3QXZ'],
      ['7k3qxz', '7K3QXZ'],
      [' 7k3 qxz ', '7K3QXZ'],
      ['7K3-QXZ', '7K3QXZ'],
      ['O1ILAB', '0111AB'],
      ['７Ｋ３ＱＸＺ', '7K3QXZ'],
      ['7K3QX', null],
      ['7K3QXZZ', null],
      ['7K3QXU', null],
      ['../etc', null],
      ['', null],
    ];
    for (const [typed, code] of cases) expect(normalizeCode(typed), typed).toBe(code);
  });

  it('find public films only: never hidden or removed ones', () => {
    const [a, b, c] = [newId(), newId(), newId()];
    const entry = (meta: FilmMeta) => ({ etag: meta.id, meta });
    const view = buildView({
      version: 'v',
      entries: {
        [a]: entry(sampleMeta(a)),
        [b]: entry(sampleMeta(b, { hidden: true })),
        [c]: entry(sampleMeta(c)),
      },
      removed: { [c]: { etag: 'x', removedAt: new Date().toISOString() } },
    });
    expect(filmsWithCode(view, a.slice(-6)).map((f) => f.id)).toEqual([a]);
    expect(filmsWithCode(view, b.slice(-6))).toEqual([]);
    expect(filmsWithCode(view, c.slice(-6))).toEqual([]);
  });
});

describe('GET /code on a real gallery', () => {
  let s3: S3Service;
  let gallery: Gallery;
  let shown: FilmMeta;
  let hidden: FilmMeta;
  beforeAll(async () => {
    s3 = await startS3();
    const writer = s3.client();
    shown = sampleMeta(newId());
    hidden = sampleMeta(newId(), { hidden: true });
    await uploadFilm(writer, s3.bucket, shown);
    await uploadFilm(writer, s3.bucket, hidden);
    gallery = await startGallery({
      config: loadConfig({ ...s3.env(), LOG_LEVEL: 'warn' }),
      logger: createLogger({ level: 'silent' }),
      s3Client: createS3Client({ ...s3, forcePathStyle: true }),
      host: '127.0.0.1',
      port: 0,
    });
  });
  afterAll(async () => {
    await gallery?.close();
    await s3?.close();
  });
  const get = (query: string) => fetch(`${gallery.url}/code${query}`, { redirect: 'manual' });

  it('opens the film for its code however it was typed, and says why when it cannot', async () => {
    const code = shown.id.slice(-6);
    const typed = `${code.slice(0, 3).toLowerCase()} ${code.slice(3)}`;
    const found = await get(`?c=${encodeURIComponent(typed)}`);
    expect(found.status).toBe(303);
    expect(found.headers.get('location')).toBe(`/m/${shown.id}`);

    const form = await get('');
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="c"');

    const secret = await get(`?c=${hidden.id.slice(-6)}`);
    expect(secret.status).toBe(404);
    const body = await secret.text();
    expect(body).toContain('data-problem="notFound"');
    expect(body).not.toContain(hidden.id);

    const bad = await get('?c=%3Cscript%3E');
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain('<script>');
  });

  // After the three tries above: the limiter lets ten through, then one every 6 s.
  it('limits how fast one client can try codes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await get('?c=ZZZZZZ')).status);
    expect(statuses.filter((s) => s === 404).length).toBeLessThanOrEqual(10);
    expect(statuses.at(-1)).toBe(429);
  });
});
