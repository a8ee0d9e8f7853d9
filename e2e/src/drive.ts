// Drives the festival from outside, the way an operator's automation would: the
// stations' loopback remote-control API, the processor's status, the gallery's API.
import { apiFinishResponseSchema, type ProcessorStatus, type Publish, processorStatusSchema } from '@stop-motion/protocol';
import type { ServiceProcess } from './services.js';

async function json<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export async function capture(station: Pick<ServiceProcess, 'url'>): Promise<void> {
  await json(await fetch(`${station.url}/api/capture`, { method: 'POST', signal: AbortSignal.timeout(10_000) }), 'capture');
}

export async function finish(station: Pick<ServiceProcess, 'url'>, publish: Publish, title?: string): Promise<string> {
  const res = await fetch(`${station.url}/api/finish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ publish, ...(title ? { title } : {}) }),
    signal: AbortSignal.timeout(10_000),
  });
  return apiFinishResponseSchema.parse(await json(res, 'finish')).movieId;
}

/** Makes a film of `frames` captures and finishes it; returns its id. */
export async function makeFilm(station: Pick<ServiceProcess, 'url'>, frames: number, publish: Publish, title?: string): Promise<string> {
  for (let i = 0; i < frames; i++) await capture(station);
  return finish(station, publish, title);
}

export type { ProcessorStatus } from '@stop-motion/protocol';

/** The processor's `GET /status`, held to its schema in protocol. */
export async function processorStatus(processor: Pick<ServiceProcess, 'url'>): Promise<ProcessorStatus> {
  return processorStatusSchema.parse(
    await json(
      await fetch(`${processor.url}/status`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) }),
      'status',
    ),
  );
}

export async function galleryMovie(gallery: Pick<ServiceProcess, 'url'>, id: string): Promise<{ id: string; videoUrl: string } | null> {
  const res = await fetch(`${gallery.url}/api/movies/${id}`, { signal: AbortSignal.timeout(5000) });
  if (res.status === 404) return null;
  return (await json<{ movie: { id: string; videoUrl: string } }>(res, 'gallery movie')).movie;
}

export async function galleryList(gallery: Pick<ServiceProcess, 'url'>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const url = `${gallery.url}/api/movies?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: { movies: Array<{ id: string }>; next: string | null } = await json(await fetch(url), 'gallery list');
    ids.push(...page.movies.map((m) => m.id));
    cursor = page.next;
  } while (cursor);
  return ids;
}
