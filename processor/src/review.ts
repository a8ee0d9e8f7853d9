import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { secretEquals } from '@stop-motion/kit';
import { isValidId } from '@stop-motion/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError, sendRefusal } from './http-errors.js';
import type { Job, JobStore } from './jobs.js';
import type { Logger } from './log.js';
import type { Player } from './player.js';

/**
 * Pre-moderation (MODERATION=pre): a rendered public film waits in the job state
 * `review` on this machine until an operator approves it (→ `uploading`, the normal
 * upload path), makes it private (→ `done`, private: it never leaves), or takes it
 * down (off the big screen, → `done`, private, never uploaded). The job file is the
 * queue: every decision is one durable write, so the queue survives a restart and a
 * power cut, and a film moves out of `review` once, so it is uploaded at most once.
 */
export interface ReviewDeps {
  jobs: JobStore;
  player: Player;
  log: Logger;
  filmsDir: string;
  moderation: 'post' | 'pre';
  onScreen: boolean;
  uploads: boolean;
  /** The moderation path for the big screen (Pipeline.takeDown). */
  takeDown: (id: string, why: string) => Promise<void>;
  /** Tells the gallery a refused film will not come (RefusalNotices); after the durable write. */
  refused?: (id: string, decision: 'private' | 'takedown') => void;
}

export type ReviewDecision = 'approve' | 'private' | 'takedown';

export class ReviewError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ReviewQueue {
  private readonly busy = new Set<string>();

  constructor(private readonly deps: ReviewDeps) {}

  get enabled(): boolean {
    return this.deps.moderation === 'pre';
  }

  /** Whether a film just rendered waits for review instead of going to S3. */
  holds(job: Job): boolean {
    return this.enabled && job.publish === 'public';
  }

  /** Whether a film waiting for review is on the big screen meanwhile. */
  get onScreen(): boolean {
    return this.deps.onScreen;
  }

  pending(): Job[] {
    return this.deps.jobs.all().filter((j) => j.state === 'review');
  }

  filmFile(id: string, name: 'movie.mp4' | 'poster.jpg'): string {
    return path.join(this.deps.filmsDir, id, name);
  }

  async decide(id: string, decision: ReviewDecision, by: string): Promise<Job> {
    if (!isValidId(id)) throw new ReviewError(400, 'bad_request', 'invalid film id');
    // One decision at a time per film: a double click or two operators never make two uploads.
    if (this.busy.has(id)) throw new ReviewError(409, 'busy', 'a decision on this film is being recorded');
    this.busy.add(id);
    try {
      const job = this.deps.jobs.get(id);
      if (job?.state !== 'review') {
        throw new ReviewError(409, 'not_in_review', `film ${id} is not waiting for review${job ? ` (it is ${job.state})` : ''}`);
      }
      let next: Job;
      if (decision === 'approve') {
        next = this.deps.uploads
          ? await this.deps.jobs.update(id, { state: 'uploading', reason: null })
          : await this.deps.jobs.update(id, { state: 'done', doneAt: new Date().toISOString() });
        if (!this.deps.onScreen) await this.show(id);
      } else if (decision === 'private') {
        next = await this.deps.jobs.update(id, {
          state: 'done',
          publish: 'private',
          reason: 'made private in review',
          doneAt: new Date().toISOString(),
        });
        // Private films play on the big screen like any other.
        if (!this.deps.onScreen) await this.show(id);
      } else {
        // Recorded first: a crash after it can leave it on screen, never on its way to S3.
        next = await this.deps.jobs.update(id, {
          state: 'done',
          publish: 'private',
          reason: 'taken down in review',
          doneAt: new Date().toISOString(),
        });
        await this.deps.takeDown(id, 'review');
      }
      if (decision !== 'approve') this.deps.refused?.(id, decision);
      this.deps.log.info({ event: 'review.decided', id, decision, by }, 'review decided');
      return next;
    } finally {
      this.busy.delete(id);
    }
  }

  private async show(id: string): Promise<void> {
    try {
      await this.deps.player.add({ id, file: this.filmFile(id, 'movie.mp4') });
    } catch (err) {
      this.deps.log.warn({ event: 'player.add_failed', id, err: (err as Error).message }, 'player add failed');
    }
  }
}

const view = (j: Job) => ({
  id: j.id,
  title: j.title,
  stationId: j.stationId,
  createdAt: j.createdAt,
  receivedAt: j.receivedAt,
  durationSec: j.durationSec,
  frameCount: j.frameCount,
  width: j.width,
  height: j.height,
  since: j.updatedAt,
});

/**
 * `/api/review` behind CONTROL_TOKEN (bearer), and the review section at `/review`
 * (a page with no data in it; its script asks for the token and calls the API).
 */
export function registerReviewRoutes(app: FastifyInstance, queue: ReviewQueue, token: string | undefined, log: Logger): void {
  const auth = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!token) {
      return sendError(reply, 403, 'forbidden', 'CONTROL_TOKEN is not set on this processor');
    }
    const header = req.headers.authorization;
    if (!secretEquals(header?.startsWith('Bearer ') ? header.slice(7) : undefined, token)) {
      // The path only: a token someone put in the query string is never logged.
      log.warn({ event: 'review.unauthorized', path: req.url.split('?')[0]?.slice(0, 100) }, 'review unauthorized');
      return sendError(reply, 401, 'unauthorized', 'a valid CONTROL_TOKEN is required');
    }
  };
  const sendDecisionError = (reply: FastifyReply, err: unknown) => {
    if (err instanceof ReviewError) return sendRefusal(reply, err.status, err.code, err.message);
    throw err;
  };
  app.get('/api/review', { preHandler: auth }, async () => ({
    ok: true,
    data: { moderation: queue.enabled ? 'pre' : 'post', onScreen: queue.onScreen, films: queue.pending().map(view) },
  }));
  const serveFile =
    (name: 'movie.mp4' | 'poster.jpg', type: string) => async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const { id } = req.params;
      if (!isValidId(id)) return sendError(reply, 400, 'bad_request', 'invalid film id');
      if (!queue.pending().some((j) => j.id === id)) {
        return sendError(reply, 404, 'not_found', 'no such film waiting for review');
      }
      const file = queue.filmFile(id, name);
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) return sendError(reply, 404, 'not_found', `${name} is missing`);
      return reply.type(type).header('content-length', st.size).header('cache-control', 'no-store').send(createReadStream(file));
    };
  app.get<{ Params: { id: string } }>('/api/review/:id/film', { preHandler: auth }, serveFile('movie.mp4', 'video/mp4'));
  app.get<{ Params: { id: string } }>('/api/review/:id/poster', { preHandler: auth }, serveFile('poster.jpg', 'image/jpeg'));
  for (const [route, decision] of [
    ['approve', 'approve'],
    ['private', 'private'],
    ['takedown', 'takedown'],
  ] as const) {
    app.post<{ Params: { id: string } }>(`/api/review/:id/${route}`, { preHandler: auth }, async (req, reply) => {
      try {
        const job = await queue.decide(req.params.id, decision, 'operator');
        return { ok: true, data: { id: job.id, state: job.state, publish: job.publish } };
      } catch (err) {
        return sendDecisionError(reply, err);
      }
    });
  }
  app.get('/review', async (_req, reply) => reply.type('text/html; charset=utf-8').send(renderReviewPage()));
  app.get('/review/review.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(REVIEW_SCRIPT));
}

/**
 * The review section, for the control room to include as it is: markup only, no
 * data; `/review/review.js` fills it (so a page with `script-src 'self'` can hold it).
 */
export function renderReviewSection(): string {
  return `<section id="review" data-review-api="/api/review">
<h2>Waiting for review <span data-review-count></span></h2>
<p data-review-status role="status"></p>
<form data-review-login hidden><label>Operator token <input type="password" name="token" autocomplete="current-password"></label> <button>Open</button></form>
<ul data-review-list class="review-list"></ul>
</section>`;
}

export function renderReviewPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Review queue</title><style>body{font:15px system-ui,sans-serif;margin:1rem;background:#111;color:#eee}
.review-list{list-style:none;padding:0;display:grid;gap:1rem}.review-list li{background:#1c1c1c;padding:.8rem;border-radius:.5rem}
video{width:100%;max-width:480px;display:block;background:#000}button{font:inherit;padding:.5rem .9rem;margin:.3rem .3rem 0 0}</style></head>
<body>${renderReviewSection()}<script src="/review/review.js" defer></script></body></html>`;
}

/** Plain browser script: the token stays in this tab (sessionStorage), films load through fetch with the bearer. */
const REVIEW_SCRIPT = `(() => {
  const root = document.getElementById('review');
  if (!root) return;
  const api = root.dataset.reviewApi || '/api/review';
  const list = root.querySelector('[data-review-list]');
  const status = root.querySelector('[data-review-status]');
  const count = root.querySelector('[data-review-count]');
  const login = root.querySelector('[data-review-login]');
  let token = sessionStorage.getItem('controlToken') || '';
  const call = (path, method) => fetch(api + path, { method: method || 'GET', headers: { authorization: 'Bearer ' + token } });
  const say = (text) => { status.textContent = text; };
  login.addEventListener('submit', (e) => {
    e.preventDefault();
    token = new FormData(login).get('token') || '';
    sessionStorage.setItem('controlToken', token);
    login.hidden = true;
    refresh();
  });
  const shown = new Map();
  function item(film) {
    const li = document.createElement('li');
    li.dataset.id = film.id;
    const h = document.createElement('h3');
    h.textContent = (film.title || 'Untitled') + ' · ' + (film.stationId || '?') + ' · ' + (film.durationSec || 0).toFixed(1) + ' s';
    const video = document.createElement('video');
    video.controls = true;
    video.preload = 'none';
    const play = document.createElement('button');
    play.textContent = 'Play';
    play.addEventListener('click', async () => {
      const res = await call('/' + film.id + '/film');
      if (!res.ok) return say('Could not load the film (' + res.status + ')');
      video.src = URL.createObjectURL(await res.blob());
      video.play().catch(() => {});
    });
    li.append(h, video, play);
    for (const [action, label] of [['approve', 'Approve'], ['private', 'Make private'], ['takedown', 'Take down']]) {
      const b = document.createElement('button');
      b.textContent = label;
      b.dataset.action = action;
      b.addEventListener('click', async () => {
        b.disabled = true;
        const res = await call('/' + film.id + '/' + action, 'POST');
        say(res.ok ? label + ': done' : label + ' failed (' + res.status + ')');
        refresh();
      });
      li.append(b);
    }
    return li;
  }
  async function refresh() {
    if (!token) { login.hidden = false; return; }
    let res;
    try { res = await call(''); } catch { return say('The processor does not answer'); }
    if (res.status === 401) { login.hidden = false; return say('The token was refused'); }
    if (!res.ok) return say('Review queue unavailable (' + res.status + ')');
    const body = await res.json();
    const films = body.data.films;
    count.textContent = '(' + films.length + ')';
    if (body.data.moderation !== 'pre') say('Films are published without review (MODERATION=post).');
    const ids = new Set(films.map((f) => f.id));
    for (const [id, li] of shown) if (!ids.has(id)) { li.remove(); shown.delete(id); }
    for (const f of films) if (!shown.has(f.id)) { const li = item(f); shown.set(f.id, li); list.append(li); }
  }
  refresh();
  setInterval(refresh, 5000);
})();
`;
