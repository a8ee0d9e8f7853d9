import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, type S3Service, spawnManaged, startS3, waitFor } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const node = (env: Record<string, string>, onLine?: (line: string) => void) =>
  spawnManaged({
    name: 'gallery',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', main],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    keepLines: 200,
    ...(onLine ? { onLine } : {}),
  });

let s3: S3Service;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});

describe('gallery process', () => {
  it('refuses a bad configuration, naming every bad variable', async () => {
    const p = node({ GALLERY_PORT: 'x', REFRESH_SECONDS: '0', REDIS_URL: 'nope' });
    const { code } = await p.exited;
    expect(code).toBe(2);
    for (const name of ['GALLERY_PORT', 'REFRESH_SECONDS', 'REDIS_URL', 'S3_BUCKET']) expect(p.output()).toContain(name);
  });

  it('listens on PORT, logs one JSON line with its URL, keeps secrets out of the log and stops on SIGTERM', async () => {
    const port = await freePort();
    const token = randomBytes(20).toString('hex');
    let listening: { msg: string; url: string } | undefined;
    const p = node(
      { ...s3.env(), PORT: String(port), GALLERY_HOST: '127.0.0.1', GALLERY_ADMIN_TOKEN: token, LOG_LEVEL: 'debug' },
      (line) => {
        try {
          const j = JSON.parse(line) as { msg: string; url: string };
          if (j.msg === 'listening') listening = j;
        } catch {}
      },
    );
    await waitFor('the listening line', () => listening, { timeoutMs: 30_000, failIf: () => (p.running() ? undefined : p.output()) });
    expect(listening?.url).toBe(`http://127.0.0.1:${port}`);
    const health = await fetch(`${listening?.url}/healthz`);
    expect(health.status).toBe(200);
    // A wrong and a right admin token; neither appears in the log.
    await fetch(`${listening?.url}/api/admin/movies`, { headers: { authorization: `Bearer ${token}` } });
    await fetch(`${listening?.url}/api/admin/movies`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    await p.stop();
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(p.output()).not.toContain(token);
    expect(p.output()).not.toContain('not-the-token-at-all');
  });

  it('starts and serves films with Redis unreachable, reconnecting quietly', async () => {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const id = '01M88ZBX28ENSB6403Y4DSR4R9';
    const meta = {
      id,
      title: 'Offline',
      stationId: 's1',
      createdAt: new Date().toISOString(),
      durationSec: 3,
      fps: 10,
      frameCount: 30,
      width: 160,
      height: 120,
    };
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: `movies/${id}/meta.json`, Body: JSON.stringify(meta) }));
    const port = await freePort();
    const deadRedis = await freePort();
    let url: string | undefined;
    const p = node(
      { ...s3.env(), GALLERY_PORT: String(port), GALLERY_HOST: '127.0.0.1', REDIS_URL: `redis://127.0.0.1:${deadRedis}` },
      (line) => {
        if (line.includes('"msg":"listening"')) url = (JSON.parse(line) as { url: string }).url;
      },
    );
    await waitFor('the listening line', () => url, { timeoutMs: 30_000, failIf: () => (p.running() ? undefined : p.output()) });
    const res = await fetch(`${url}/api/movies`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { movies: Array<{ id: string }> }).movies.map((m) => m.id)).toEqual([id]);
    // Several reconnect attempts later, still one line per connection.
    await new Promise((r) => setTimeout(r, 2500));
    await p.stop();
    const downLines = p
      .output()
      .split('\n')
      .filter((l) => l.includes('"event":"redis.down"'));
    expect(downLines.length).toBe(2);
  });
});
