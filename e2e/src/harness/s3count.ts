import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Request {
  method: string;
  /** The object key (path-style: the part after `/<bucket>/`), decoded; '' for bucket calls. */
  key: string;
  status: number;
}

export interface S3Counter {
  /** The endpoint to hand to a service instead of the S3 server's own. */
  readonly endpoint: string;
  /** Every request answered, in order. */
  readonly requests: readonly S3Request[];
  /** Objects written (PUTs answered 2xx) under `key`. */
  puts(key: string): number;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of a (path-style) S3 server that records every
 * request, so a test counts the objects a service really wrote, and how often:
 * the store itself keeps only the last copy of a key written twice.
 */
export async function startS3Counter(target: { endpoint: string; bucket: string }): Promise<S3Counter> {
  const upstream = new URL(target.endpoint);
  const requests: S3Request[] = [];
  const prefix = `/${target.bucket}/`;
  const keyOf = (url: string) => {
    const p = new URL(url, 'http://x').pathname;
    return p.startsWith(prefix) ? decodeURIComponent(p.slice(prefix.length)) : '';
  };
  const server = http.createServer((req, res) => {
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        timeout: 60_000,
      },
      (up) => {
        requests.push({ method: req.method ?? '', key: keyOf(req.url ?? '/'), status: up.statusCode ?? 0 });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('timeout', () => out.destroy(new Error('upstream timeout')));
    out.on('error', () => {
      // The S3 server is down: the client sees a dropped connection, as it would without the proxy.
      res.destroy();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    puts: (key) => requests.filter((r) => r.method === 'PUT' && r.key === key && r.status >= 200 && r.status < 300).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
