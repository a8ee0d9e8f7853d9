import { httpErrorSchema } from '@stop-motion/protocol';
import Fastify from 'fastify';
import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { useHttpErrors } from '../src/http-errors.js';
import { createMetricsRegistry, secretEquals, serveMetrics } from '../src/metrics.js';

function server(token?: string) {
  const registry = createMetricsRegistry();
  new Counter({ name: 'kit_test_things_total', help: 'Things.', registers: [registry] }).inc(3);
  const app = Fastify({ logger: false });
  useHttpErrors(app, { log: { error: () => undefined } as never });
  serveMetrics(app, registry, token === undefined ? {} : { token, tokenName: 'METRICS_TOKEN' });
  return { app, registry };
}

describe('metrics', () => {
  it("serves the service's registry with the default process metrics, never cached", async () => {
    const { app, registry } = server();
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(registry.contentType);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('kit_test_things_total 3');
    expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(res.body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('keeps two registries apart (two services in one process share no counter)', async () => {
    const a = server();
    const b = createMetricsRegistry();
    expect(await a.registry.metrics()).toContain('kit_test_things_total');
    expect(await b.metrics()).not.toContain('kit_test_things_total');
  });

  it.each([
    ['no token', 401, {}],
    ['a wrong token', 401, { authorization: 'Bearer not-the-token' }],
    ['the token in another scheme', 401, { authorization: 'Basic s3cret-metrics-token' }],
    ['the token', 200, { authorization: 'Bearer s3cret-metrics-token' }],
  ])('with a token set, %s answers %i', async (_what, status, headers) => {
    const { app } = server('s3cret-metrics-token');
    const res = await app.inject({ method: 'GET', url: '/metrics', headers });
    expect(res.statusCode).toBe(status);
    if (status === 401) {
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(httpErrorSchema.parse(res.json()).error).toEqual({ code: 'unauthorized', message: 'a valid METRICS_TOKEN is required' });
    } else expect(res.body).toContain('kit_test_things_total 3');
  });

  it('compares secrets whole and in constant time', () => {
    expect(secretEquals('abc', 'abc')).toBe(true);
    expect(secretEquals('abd', 'abc')).toBe(false);
    expect(secretEquals('ab', 'abc')).toBe(false);
    expect(secretEquals('abcd', 'abc')).toBe(false);
    expect(secretEquals('', '')).toBe(false);
    expect(secretEquals(undefined, 'abc')).toBe(false);
  });
});
