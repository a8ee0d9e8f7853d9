/** JSON inside a <script> element: `<` escaped so no string in it can close the element. */
function embed(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The control room page: one file, no build step. The server embeds the current
 * snapshot; the script renders it with textContent only (station messages and film
 * titles are untrusted) and replaces it with each snapshot from the event stream.
 */
export function renderControlPage(snapshot: unknown, embedded = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Control room</title>
<style>
:root{color-scheme:dark;--ok:#2e9e5b;--warn:#d99a1e;--down:#d64545;--bg:#101317;--card:#1b2027;--line:#2b323c;--dim:#9aa4b1}
*{box-sizing:border-box}body{margin:0;font:15px/1.4 system-ui,sans-serif;background:var(--bg);color:#eef1f4}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:baseline;padding:.8rem 1rem;border-bottom:1px solid var(--line)}
header h1{font-size:1.15rem;margin:0}#conn{font-size:.85rem;color:var(--dim)}#conn[data-state=open]::before{content:"● ";color:var(--ok)}
#conn[data-state=closed]::before{content:"● ";color:var(--down)}
main{padding:1rem;display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr))}
section{background:var(--card);border-radius:.6rem;padding:.8rem 1rem;min-width:0}section h2{font-size:1rem;margin:0 0 .6rem}
#stations-section{grid-column:1/-1}#tiles{display:grid;gap:.7rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,15rem),1fr))}
.tile{border-radius:.5rem;padding:.6rem .7rem;border-left:.5rem solid var(--dim);background:#232a33}
.tile[data-state=ok]{border-color:var(--ok)}.tile[data-state=warn]{border-color:var(--warn)}.tile[data-state=down]{border-color:var(--down);background:#2d2022}
.tile h3{margin:0;font-size:1.05rem;display:flex;justify-content:space-between;gap:.5rem}.badge{font-size:.75rem;padding:0 .4rem;border-radius:.3rem;background:var(--line)}
.tile[data-state=ok] .badge{background:var(--ok)}.tile[data-state=warn] .badge{background:var(--warn);color:#000}.tile[data-state=down] .badge{background:var(--down)}
.reasons{margin:.3rem 0;padding-left:1.1rem}.facts{color:var(--dim);font-size:.85rem}.actions{display:flex;flex-wrap:wrap;gap:.4rem;margin-top:.4rem}
button{font:inherit;font-size:.85rem;padding:.35rem .6rem;border-radius:.35rem;border:1px solid var(--line);background:#2b333e;color:inherit;cursor:pointer;min-height:2.2rem}
button:hover{background:#36404d}ul.plain{list-style:none;margin:0;padding:0}ul.plain li{padding:.3rem 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
.alert[data-severity=critical]{color:#ff9b9b}.alert[data-severity=warn]{color:#f3c46b}.cleared{color:var(--dim)}
.svc{display:flex;gap:.5rem;flex-wrap:wrap}.svc span{padding:.2rem .5rem;border-radius:.3rem;background:var(--line)}
.svc span[data-ok=true]{background:var(--ok)}.svc span[data-ok=false]{background:var(--down)}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:0}dt{color:var(--dim)}dd{margin:0;overflow-wrap:anywhere}
code{color:#9cf}.closed-tag{color:var(--warn)}
.review-list{list-style:none;padding:0;display:grid;gap:.8rem}.review-list video{width:100%;max-width:480px;display:block;background:#000}
</style></head><body>
<header><h1 id="event-name"></h1><span id="conn" data-testid="conn" data-state="connecting">connecting…</span><span id="time" class="facts"></span></header>
<main>
<section id="stations-section"><h2>Stations</h2><div id="tiles" data-testid="stations"></div></section>
<section><h2>Alerts</h2><ul class="plain" id="alerts" data-testid="alerts"></ul><h2 style="margin-top:.8rem">Earlier</h2><ul class="plain" id="history" data-testid="alert-history"></ul></section>
<section><h2>Big screen</h2><dl id="screen" data-testid="screen"></dl><div class="actions" id="screen-actions"></div></section>
<section><h2>Services</h2><div class="svc" id="services" data-testid="services"></div><h2 style="margin-top:.8rem">Today</h2><dl id="today" data-testid="today"></dl></section>
<section><h2>Render queue</h2><ul class="plain" id="queue" data-testid="queue"></ul><h2 style="margin-top:.8rem">Failed renders</h2><ul class="plain" id="failures" data-testid="failures"></ul></section>
<section><h2>Quarantine</h2><ul class="plain" id="quarantine" data-testid="quarantine"></ul></section>
<section><h2>Uploads waiting</h2><ul class="plain" id="uploads" data-testid="uploads"></ul></section>
<!-- Extra sections (the review queue of pre-moderation, for one) are added here from snapshot.sections. -->
<div id="sections" style="display:contents"></div>
${embedded}
</main>
<script type="application/json" id="initial">${embed(snapshot)}</script>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}
const mb = (b) => (typeof b === 'number' ? (b / 1048576 >= 1024 ? (b / 1073741824).toFixed(1) + ' GB' : Math.floor(b / 1048576) + ' MB') : '?');
const ago = (iso) => { if (!iso) return 'never'; const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000)); return s < 120 ? s + ' s ago' : Math.round(s / 60) + ' min ago'; };
async function act(path, what) {
  const res = await fetch(path, { method: 'POST', credentials: 'same-origin' });
  if (!res.ok) alert(what + ' failed: HTTP ' + res.status);
}
function fill(node, items) { node.replaceChildren(...items); }
function pair(dl, rows) { fill(dl, rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])); }
function tile(s) {
  const btn = (label, action, testid) => { const b = el('button', { 'data-testid': testid }, label); b.onclick = () => act('/api/control/stations/' + encodeURIComponent(s.id) + '/' + action, label); return b; };
  const facts = [];
  if (s.camera) facts.push('camera ' + s.camera.state + (s.camera.fps !== null ? ' ' + s.camera.fps + ' fps' : ''));
  if (s.diskFreeBytes !== null) facts.push(mb(s.diskFreeBytes) + ' free');
  if (s.outboxCount !== null) facts.push(s.outboxCount + ' waiting to send');
  if (s.frameCount !== null) facts.push(s.frameCount + ' frames in the film');
  if (s.software) facts.push('v' + s.software);
  const label = { ok: 'working', warn: 'needs a look', down: 'not working' }[s.state];
  return el('div', { class: 'tile', 'data-state': s.state, 'data-testid': 'station-' + s.id, 'data-closed': s.closed },
    el('h3', {}, s.id, el('span', { class: 'badge' }, label)),
    s.closed ? el('div', { class: 'closed-tag', 'data-testid': 'closed-tag' }, 'closed for a break') : '',
    s.reasons.length ? el('ul', { class: 'reasons', 'data-testid': 'reasons' }, ...s.reasons.map((r) => el('li', {}, r))) : '',
    el('div', { class: 'facts' }, 'last report ' + ago(s.lastSeenAt) + (facts.length ? ' · ' + facts.join(' · ') : '')),
    el('div', { class: 'actions' },
      s.closed ? btn('Open again', 'open', 'open') : btn('Close for a break', 'close', 'close'),
      btn('Restart its screen', 'restart-ui', 'restart-ui'), btn('Send its films again', 'redeliver', 'redeliver'),
      s.pendingActions.length ? el('span', { class: 'facts' }, 'asked: ' + s.pendingActions.map((a) => a.kind).join(', ')) : ''));
}
function render(s) {
  $('event-name').textContent = s.eventName + ' — control room';
  $('time').textContent = 'as of ' + new Date(s.time).toLocaleTimeString();
  fill($('tiles'), s.stations.length ? s.stations.map(tile) : [el('p', { class: 'facts' }, 'No station has reported yet.')]);
  fill($('alerts'), s.alerts.active.length ? s.alerts.active.map((a) => el('li', { class: 'alert', 'data-severity': a.severity, 'data-key': a.key }, a.message, el('span', { class: 'facts' }, ' since ' + new Date(a.raisedAt).toLocaleTimeString()))) : [el('li', { class: 'facts' }, 'All clear.')]);
  fill($('history'), s.alerts.recent.filter((a) => a.clearedAt).slice(0, 15).map((a) => el('li', { class: 'cleared', 'data-key': a.key }, a.message + ' (' + new Date(a.raisedAt).toLocaleTimeString() + '–' + new Date(a.clearedAt).toLocaleTimeString() + ')')));
  const sc = s.screen;
  pair($('screen'), [['now playing', sc.nowPlaying ?? '—'], ['next', sc.next ?? '—'], ['playlist', sc.playlistLength + ' films'], ['player', sc.kind + ', ' + sc.state], ['mpv restarts', sc.restarts]].concat(sc.held ? [['held', 'on the event slide']] : []));
  const down = el('button', { 'data-testid': 'take-down' }, 'Take the film on screen down');
  down.disabled = !sc.nowPlaying;
  down.onclick = () => { if (sc.nowPlaying && confirm('Take ' + sc.nowPlaying + ' down? It leaves the big screen for good.')) act('/api/control/films/' + encodeURIComponent(sc.nowPlaying) + '/take-down', 'Take down'); };
  const screenBtn = (label, action, testid) => { const b = el('button', { 'data-testid': testid }, label); b.onclick = () => act('/api/control/screen/' + action, label); return b; };
  const replay = el('form', { class: 'actions' }, el('input', { name: 'film', placeholder: 'film id', 'aria-label': 'film id to replay', size: 14 }), el('button', { 'data-testid': 'replay' }, 'Play now'));
  replay.onsubmit = (e) => { e.preventDefault(); const id = replay.elements.film.value.trim(); if (id) act('/api/control/films/' + encodeURIComponent(id) + '/replay', 'Replay'); };
  fill($('screen-actions'), [screenBtn('Skip this film', 'skip', 'skip'), sc.held ? screenBtn('Back to the films', 'release', 'release') : screenBtn('Hold on the event slide', 'hold', 'hold'), down, replay]);
  const svc = (name, r) => el('span', { 'data-ok': r.ok, 'data-testid': 'svc-' + name, title: r.error ?? '' }, name + (r.ok === null ? ' (not set up)' : r.ok ? ' ok' : ' unreachable'));
  fill($('services'), [svc('S3', s.services.s3), svc('Redis', s.services.redis), svc('gallery', s.services.gallery)]);
  const t = s.today;
  pair($('today'), [['films', t.films], ['public / private', t.public + ' / ' + t.private], ['frames', t.frames], ['average length', t.averageSec === null ? '—' : t.averageSec + ' s']]);
  fill($('queue'), s.render.queue.length ? s.render.queue.map((j) => el('li', {}, (j.title || j.id) + ' · ' + (j.stationId ?? '?') + ' · ' + j.state + (j.state === 'rendering' ? ' ' + Math.round(j.progress * 100) + '%' : ''))) : [el('li', { class: 'facts' }, 'empty')]);
  fill($('failures'), s.render.failures.length ? s.render.failures.map((j) => el('li', {}, el('code', {}, j.id), ' ' + (j.title ?? '') + ': ' + (j.reason ?? ''))) : [el('li', { class: 'facts' }, 'none')]);
  fill($('quarantine'), s.quarantine.length ? s.quarantine.map((q) => el('li', {}, el('code', {}, q.id ?? q.name ?? '?'), ' ' + (q.reason ?? ''))) : [el('li', { class: 'facts' }, 'empty')]);
  fill($('uploads'), s.uploadsWaiting.length ? s.uploadsWaiting.map((u) => el('li', {}, el('code', {}, u.id), ' · ' + u.attempts + ' attempts' + (u.lastError ? ' · ' + u.lastError : ''))) : [el('li', { class: 'facts' }, 'none')]);
  fill($('sections'), s.sections.map((x) => el('section', { 'data-testid': 'section-' + x.name }, el('h2', {}, x.title), el('ul', { class: 'plain' }, ...x.items.map((i) => el('li', { 'data-id': i.id }, i.text))))));
}
render(JSON.parse($('initial').textContent));
function connect() {
  const source = new EventSource('/api/control/events');
  source.addEventListener('open', () => { $('conn').dataset.state = 'open'; $('conn').textContent = 'live'; });
  source.addEventListener('snapshot', (e) => render(JSON.parse(e.data)));
  source.addEventListener('error', () => { $('conn').dataset.state = 'closed'; $('conn').textContent = 'reconnecting…'; });
}
connect();
</script></body></html>`;
}
