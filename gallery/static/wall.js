// The foyer wall (/wall): a fixed grid of muted video tiles fed by the gallery's film
// list as a server-sent event stream. Built to run for days: the tiles are created
// once by the page and recycled (a source is released with removeAttribute('src') +
// load(), so the decoder and its buffers go), every map is trimmed to the current
// list, there is one timer per tile at most plus the stream's, and the stream
// reconnects with backoff whatever happened to it. Plain ES2017 for TV browsers.
(() => {
  const root = document.getElementById('wall');
  const grid = document.getElementById('wall-grid');
  if (!root || !grid) return;
  const empty = document.getElementById('wall-empty');
  const offline = document.getElementById('wall-offline');
  const untitled = root.getAttribute('data-untitled') || '';
  const eventsUrl = root.getAttribute('data-events') || '/wall/events';
  const MAX_BACKOFF_MS = 60000;
  // The server pings every WALL_PING_SECONDS; three missed pings and the stream is taken for dead.
  const SILENCE_MS = Math.max(3000, Number(root.getAttribute('data-silence-ms')) || 60000);

  /** Newest first, as the server sent them. */
  let byId = new Map();
  let films = [];
  let first = true;
  /** Arrived since the wall started, not yet on a tile: newest first. */
  let fresh = [];
  /** Id → order in which it last started on a tile (films in the list only). */
  const lastShown = new Map();
  let clock = 0;

  const play = (video) => {
    const p = video.play();
    if (p && typeof p.catch === 'function') p.catch(() => {});
  };

  const tiles = Array.prototype.map.call(grid.querySelectorAll('.tile'), (el) => {
    const video = el.querySelector('video');
    const tile = { el, video, title: el.querySelector('.tile-title'), id: null, since: 0, arrived: false, failures: 0, retry: null };
    video.muted = true;
    video.defaultMuted = true;
    video.playsInline = true;
    video.addEventListener('ended', () => next(tile));
    video.addEventListener('playing', () => {
      tile.failures = 0;
    });
    video.addEventListener('error', () => failed(tile));
    return tile;
  });

  const onScreen = (id) => tiles.some((t) => t.id === id);

  const clearRetry = (tile) => {
    if (tile.retry) clearTimeout(tile.retry);
    tile.retry = null;
  };

  function show(tile, film, arrived) {
    clearRetry(tile);
    tile.id = film.id;
    tile.since = ++clock;
    tile.arrived = arrived;
    lastShown.set(film.id, clock);
    tile.el.setAttribute('data-id', film.id);
    tile.el.classList.toggle('arrived', arrived);
    tile.title.textContent = film.title || untitled;
    tile.video.poster = film.posterUrl;
    tile.video.src = film.videoUrl;
    play(tile.video);
  }

  function release(tile) {
    clearRetry(tile);
    tile.id = null;
    tile.arrived = false;
    tile.el.removeAttribute('data-id');
    tile.el.classList.remove('arrived');
    tile.title.textContent = '';
    tile.video.removeAttribute('poster');
    tile.video.removeAttribute('src');
    tile.video.load();
  }

  /** Newcomers first, then the film off screen that was shown longest ago (never shown: newest first). */
  function pick() {
    while (fresh.length > 0) {
      const id = fresh.shift();
      if (byId.has(id) && !onScreen(id)) return byId.get(id);
    }
    let best = null;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const film of films) {
      if (onScreen(film.id)) continue;
      const at = lastShown.get(film.id) || 0;
      if (at < bestAt) {
        best = film;
        bestAt = at;
      }
    }
    return best;
  }

  function next(tile) {
    const film = pick();
    if (film) show(tile, film, false);
    else if (tile.id && byId.has(tile.id)) {
      // Nothing else to show: the tile loops its film.
      tile.video.currentTime = 0;
      play(tile.video);
    } else release(tile);
  }

  function failed(tile) {
    // An expired link or a film that just went away: move on, backing off if it keeps failing.
    if (tile.id) lastShown.set(tile.id, ++clock);
    release(tile);
    tile.failures++;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(tile.failures - 1, 6));
    tile.retry = setTimeout(() => {
      tile.retry = null;
      if (!tile.id) next(tile);
    }, delay);
  }

  function update(list) {
    const before = byId;
    films = list;
    byId = new Map();
    for (const film of list) byId.set(film.id, film);
    // Hidden, removed or pushed out of the list: off the wall at once, and forgotten.
    for (const id of Array.from(lastShown.keys())) if (!byId.has(id)) lastShown.delete(id);
    fresh = fresh.filter((id) => byId.has(id));
    for (const tile of tiles) if (tile.id && !byId.has(tile.id)) release(tile);
    if (!first) {
      const arrived = list.filter((f) => !before.has(f.id)).map((f) => f.id);
      fresh = arrived.concat(fresh);
    }
    first = false;
    for (const tile of tiles) if (!tile.id && !tile.retry) next(tile);
    // A newcomer does not wait for a tile to end: it takes the tile that has shown its film longest.
    while (fresh.length > 0) {
      const id = fresh[0];
      if (onScreen(id)) {
        fresh.shift();
        continue;
      }
      let oldest = null;
      for (const tile of tiles) if (tile.id && !tile.arrived && (!oldest || tile.since < oldest.since)) oldest = tile;
      if (!oldest) break;
      fresh.shift();
      show(oldest, byId.get(id), true);
    }
    // Newer links for films on screen are used the next time they start.
    if (empty) empty.hidden = list.length > 0;
    root.setAttribute('data-films', String(list.length));
  }

  let source = null;
  let reconnect = null;
  let backoff = 1000;
  let heard = 0;

  function connect() {
    reconnect = null;
    heard = Date.now();
    source = new EventSource(eventsUrl);
    source.addEventListener('films', (e) => {
      heard = Date.now();
      backoff = 1000;
      if (offline) offline.hidden = true;
      root.setAttribute('data-stream', 'open');
      let body = null;
      try {
        body = JSON.parse(e.data);
      } catch (_) {
        return;
      }
      if (body && Array.isArray(body.films)) update(body.films);
    });
    source.addEventListener('ping', () => {
      heard = Date.now();
    });
    // EventSource retries some failures by itself and gives up on others: one policy here instead.
    source.addEventListener('error', drop);
  }

  function drop() {
    if (source) {
      source.close();
      source = null;
    }
    if (offline) offline.hidden = false;
    root.setAttribute('data-stream', 'closed');
    if (reconnect) return;
    const delay = backoff * (0.5 + Math.random() / 2);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    reconnect = setTimeout(connect, delay);
  }

  // A stream that stays open but silent (a stopped server, a half-dead link) is dropped too.
  setInterval(
    () => {
      if (source && Date.now() - heard > SILENCE_MS) drop();
    },
    Math.min(10000, SILENCE_MS / 3),
  );
  connect();
})();
