import http from 'node:http';
import { type S3Service, startS3 } from '@stop-motion/e2e';
import { createLogger, type Gallery, loadConfig, startGallery } from '@stop-motion/gallery';
import type { FilmMeta } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MediaFixture, makeMedia, newId, sampleMeta, uploadFilm } from './fixtures.js';

const ADMIN_TOKEN = 'admin-token-for-the-wall-test';
let s3: S3Service;
let media: MediaFixture;
let gallery: Gallery;
let visible: FilmMeta[];
let hidden: FilmMeta;

const open = (g: Gallery) =>
  startGallery({
    config: loadConfig({ ...s3.env(), LOG_LEVEL: 'warn', GALLERY_ADMIN_TOKEN: ADMIN_TOKEN, EVENT_NAME: 'Foyer <Fest>' }),
    logger: createLogger({ level: 'silent' }),
    host: '127.0.0.1',
    port: 0,
  }).then((started) => Object.assign(g, started));

beforeAll(async () => {
  [s3, media] = await Promise.all([startS3(), makeMedia()]);
  visible = [sampleMeta(newId()), sampleMeta(newId())];
  hidden = sampleMeta(newId(), { hidden: true });
  for (const m of [...visible, hidden]) await uploadFilm(s3.client(), s3.bucket, m, media);
  gallery = await open({} as Gallery);
});

afterAll(async () => {
  await gallery?.close();
  await Promise.all([s3?.close(), media?.remove()]);
});

interface WallEvent {
  event: string;
  data: string;
}

/** Reads server-sent events from `/wall/events` on a connection of its own (no pool keeps it). */
async function events(g: Gallery) {
  const req = http.get(`${g.url}/wall/events`, { agent: false });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  res.setEncoding('utf8');
  let buffer = '';
  let done = false;
  let wake: (() => void) | null = null;
  res.on('data', (chunk: string) => {
    buffer += chunk;
    wake?.();
  });
  res.on('close', () => {
    done = true;
    wake?.();
  });
  const more = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });
  return {
    res,
    async next(until: (e: WallEvent) => boolean, timeoutMs = 15_000): Promise<WallEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const e = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) e.event = line.slice(7);
            else if (line.startsWith('data: ')) e.data += line.slice(6);
          }
          if (until(e)) return e;
          cut = buffer.indexOf('\n\n');
        }
        if (done) throw new Error('stream ended');
        if (Date.now() > deadline) throw new Error('no such event in time');
        await more(deadline - Date.now());
      }
    },
    async ended(): Promise<boolean> {
      while (!done) await more(1000);
      return true;
    },
    close: () => req.destroy(),
  };
}

const ids = (e: WallEvent) => (JSON.parse(e.data) as { films: Array<{ id: string }> }).films.map((f) => f.id);

describe('the wall', () => {
  it('is a page with no inline script, the event’s name escaped, and a QR image', async () => {
    const res = await fetch(`${gallery.url}/wall?lang=he`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).toContain('<h1>Foyer &lt;Fest&gt;</h1>');
    expect(html).toMatch(/<script src="\/static\/wall\.js\?v=[0-9a-f]{12}" defer="">/);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(html).toMatch(/<img class="qr" src="data:image\/svg\+xml;base64,/);
    expect(html).toContain('dir="rtl"');
    expect(html.match(/<video /g)).toHaveLength(6);
    expect((await fetch(`${gallery.url}/wall?tiles=99`).then((r) => r.text())).match(/<video /g)).toHaveLength(16);
  });

  it('streams the public films at once, and again without a film the moderator hides', async () => {
    const stream = await events(gallery);
    try {
      expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      // The raw stream bypasses Fastify's reply: it still carries the security headers.
      expect(stream.res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(stream.res.headers['x-content-type-options']).toBe('nosniff');
      expect(stream.res.headers['permissions-policy']).toContain('camera=()');
      const first = await stream.next((e) => e.event === 'films');
      expect(ids(first)).toEqual([...visible].reverse().map((f) => f.id));
      expect(ids(first)).not.toContain(hidden.id);
      const target = visible[0] as FilmMeta;
      const hide = await fetch(`${gallery.url}/api/admin/movies/${target.id}/hide`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(hide.status).toBe(200);
      await hide.text();
      const after = await stream.next((e) => e.event === 'films');
      expect(ids(after)).toEqual([(visible[1] as FilmMeta).id]);
      const once = (await (await fetch(`${gallery.url}/wall/films`)).json()) as { films: Array<{ id: string }> };
      expect(once.films.map((f) => f.id)).toEqual([(visible[1] as FilmMeta).id]);
    } finally {
      stream.close();
    }
  });

  it('ends its streams when the server closes, so a wall never holds a shutdown open', async () => {
    const other = await open({} as Gallery);
    const stream = await events(other);
    await stream.next((e) => e.event === 'films');
    let closed = false;
    const closing = other.close().then(() => {
      closed = true;
    });
    expect(await stream.ended()).toBe(true);
    await closing;
    expect(closed).toBe(true);
  });
});
