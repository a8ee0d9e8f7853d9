import { connect } from 'node:net';
import { httpErrorCodeFor, httpErrorSchema } from '@stop-motion/protocol';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { HttpError, httpClientErrorHandler, useHttpErrors } from '../src/http-errors.js';

class ShopError extends Error {
  constructor(readonly word: string) {
    super(`shop says ${word}`);
  }
}

function app(envelope?: Record<string, unknown>) {
  const logged: unknown[] = [];
  const a = Fastify({ logger: false, bodyLimit: 1024 });
  const errors = useHttpErrors(a, {
    log: { error: (obj: unknown) => logged.push(obj) } as never,
    envelope,
    translate: (err) => (err instanceof ShopError ? new HttpError(409, 'conflict', err.message, err.word) : undefined),
  });
  a.post(
    '/echo',
    { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
    async (req) => req.body,
  );
  a.get('/boom', async () => {
    throw new Error('secret detail at /srv/app/x.js:12');
  });
  a.get('/gone', async () => {
    throw new HttpError(410, 'gone', 'removed by its owner');
  });
  a.get('/shop', async () => {
    throw new ShopError('sold_out');
  });
  a.get('/teapot', async (_req, reply) => errors.send(reply, 429, 'too_many_requests', 'slow down'));
  return { a, logged };
}

describe('the one HTTP error body', () => {
  it.each([
    ['a body that fails its schema', 400, 'bad_request', { method: 'POST', url: '/echo', payload: { n: 'x' } }],
    [
      'broken JSON',
      400,
      'bad_request',
      { method: 'POST', url: '/echo', payload: '{"n":', headers: { 'content-type': 'application/json' } },
    ],
    ['an unknown route', 404, 'not_found', { method: 'GET', url: '/nowhere' }],
    ['a known path with another method', 404, 'not_found', { method: 'DELETE', url: '/echo' }],
    ['a body too large', 413, 'too_large', { method: 'POST', url: '/echo', payload: { n: 1, pad: 'x'.repeat(2000) } }],
    [
      'a type nobody parses',
      415,
      'unsupported_media_type',
      { method: 'POST', url: '/echo', payload: '<n/>', headers: { 'content-type': 'application/xml' } },
    ],
    ['a thrown HttpError', 410, 'gone', { method: 'GET', url: '/gone' }],
    ['a service error it translates', 409, 'conflict', { method: 'GET', url: '/shop' }],
    ['a refusal sent by a route', 429, 'too_many_requests', { method: 'GET', url: '/teapot' }],
    ['a route that throws', 500, 'internal', { method: 'GET', url: '/boom' }],
  ] as const)('%s → %i %s', async (_name, status, code, req) => {
    const { a } = app();
    const res = await a.inject(req as never);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = httpErrorSchema.strict().parse(res.json());
    expect(body.error.code).toBe(code);
    expect(body.error.code).toBe(status === 409 || status === 410 ? code : httpErrorCodeFor(status));
  });

  it('never sends what a route threw on a 500, and logs it instead', async () => {
    const { a, logged } = app();
    const res = await a.inject({ method: 'GET', url: '/boom?token=abc' });
    expect(res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(logged).toEqual([{ event: 'http.error', err: 'secret detail at /srv/app/x.js:12', url: '/boom' }]);
  });

  it("carries a service's own word as the reason, and its envelope beside the error", async () => {
    const { a } = app({ ok: false });
    expect((await a.inject({ method: 'GET', url: '/shop' })).json()).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'shop says sold_out', reason: 'sold_out' },
    });
    expect((await a.inject({ method: 'GET', url: '/nowhere' })).json()).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'no route GET /nowhere' },
    });
  });

  it('keeps messages short: a long input is not echoed back whole', async () => {
    const { a } = app();
    const res = await a.inject({ method: 'GET', url: `/${'a'.repeat(5000)}` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message.length).toBeLessThanOrEqual(300);
  });
});

describe('a request too broken for the router', () => {
  it('gets the one body from the client error handler, over a real socket', async () => {
    const a = Fastify({ logger: false, clientErrorHandler: httpClientErrorHandler });
    useHttpErrors(a, { log: { error: () => undefined } as never });
    const url = new URL(await a.listen({ host: '127.0.0.1', port: 0 }));
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: url.hostname, port: Number(url.port) }, () => socket.write('GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n'));
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      expect(httpErrorSchema.strict().parse(JSON.parse(body))).toEqual({ error: { code: 'bad_request', message: 'bad request' } });
    } finally {
      await a.close();
    }
  });
});

describe('a page for people instead of JSON', () => {
  function paged() {
    const logged: unknown[] = [];
    const a = Fastify({ logger: false });
    useHttpErrors(a, {
      log: { error: (obj: unknown) => logged.push(obj) } as never,
      page: (req, reply, status) =>
        req.url.startsWith('/api/') ? undefined : reply.code(status).type('text/html').send(`<p>page ${status}</p>`),
    });
    for (const path of ['/boom', '/api/boom']) {
      a.get(path, async () => {
        throw new Error('secret detail');
      });
    }
    a.get('/busy', async () => {
      throw new HttpError(503, 'unavailable', 'temporarily unavailable');
    });
    a.get('/refused', async () => {
      throw new HttpError(403, 'forbidden', 'no');
    });
    return { a, logged };
  }

  it('answers a missing page and a 5xx with the page, and logs only the unexpected failure', async () => {
    const { a, logged } = paged();
    const missing = await a.inject({ url: '/nowhere' });
    expect([missing.statusCode, missing.body]).toEqual([404, '<p>page 404</p>']);
    const boom = await a.inject({ url: '/boom' });
    expect([boom.statusCode, boom.body]).toEqual([500, '<p>page 500</p>']);
    const busy = await a.inject({ url: '/busy' });
    expect([busy.statusCode, busy.body]).toEqual([503, '<p>page 503</p>']);
    expect(logged).toHaveLength(1);
    // A 4xx stays the one body: the page hook is for what a person cannot act on.
    const refused = await a.inject({ url: '/refused' });
    expect(refused.statusCode).toBe(403);
    expect(httpErrorSchema.parse(refused.json()).error.code).toBe('forbidden');
  });

  it('falls back to the one body where the hook declines', async () => {
    const { a } = paged();
    const missing = await a.inject({ url: '/api/nowhere' });
    expect(missing.statusCode).toBe(404);
    expect(httpErrorSchema.parse(missing.json()).error.code).toBe('not_found');
    const boom = await a.inject({ url: '/api/boom' });
    expect(boom.statusCode).toBe(500);
    expect(httpErrorSchema.parse(boom.json())).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});
