// Progressive enhancements of the film page: share, copy link, and "remove my film"
// for the family whose QR link carries the owner key in its fragment (#k=...).
// Everything else works without this file.
(() => {
  const $ = (sel) => document.querySelector(sel);
  const status = (el, text) => {
    if (el) el.textContent = text;
  };

  const share = $('[data-share]');
  if (share) {
    const url = share.getAttribute('data-url');
    const title = share.getAttribute('data-title') || document.title;
    const out = $('#share-status');
    const shareBtn = $('#share-button');
    const copyBtn = $('#copy-button');
    if (navigator.share && shareBtn) {
      shareBtn.hidden = false;
      shareBtn.addEventListener('click', () => {
        navigator.share({ title, url }).catch(() => {});
      });
    }
    if (copyBtn) {
      copyBtn.hidden = false;
      copyBtn.addEventListener('click', () => {
        const done = () => status(out, copyBtn.getAttribute('data-done') || '');
        const fallback = () => {
          const input = $('#film-link');
          if (input) {
            input.focus();
            input.select();
            try {
              if (document.execCommand('copy')) done();
            } catch {}
          }
        };
        if (navigator.clipboard?.writeText) navigator.clipboard.writeText(url).then(done, fallback);
        else fallback();
      });
    }
  }

  // The key never leaves the fragment except in the removal request itself.
  let wired = false;
  const setupOwner = () => {
    const owner = $('#owner');
    const match = /(?:^#|&)k=([A-Za-z0-9_-]{16,128})(?:&|$)/.exec(location.hash);
    if (!owner || !match || wired) return;
    wired = true;
    const key = match[1];
    const id = owner.getAttribute('data-id');
    const out = $('#owner-status');
    const button = $('#owner-remove');
    owner.hidden = false;
    button?.addEventListener('click', () => {
      if (!window.confirm(button.getAttribute('data-confirm') || '')) return;
      button.disabled = true;
      fetch(`/api/movies/${encodeURIComponent(id)}/remove`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key }),
        credentials: 'same-origin',
      })
        .then((res) => {
          if (!res.ok) throw new Error(String(res.status));
          status(out, owner.getAttribute('data-done') || '');
          button.hidden = true;
          history.replaceState(null, '', location.pathname + location.search);
          const film = $('#film-player');
          if (film) film.remove();
        })
        .catch(() => {
          button.disabled = false;
          status(out, owner.getAttribute('data-failed') || '');
        });
    });
  };
  setupOwner();
  window.addEventListener('hashchange', setupOwner);

  // Presigned links last minutes (so a removed film stops playing soon): when the
  // film's link has expired under a paused or long-open page, ask for a fresh one
  // and carry on where it was; a film that is gone leaves the page.
  const player = $('#film-player');
  const video = player?.querySelector('video');
  if (player && video) {
    const id = player.getAttribute('data-id');
    // The film starts by itself: with its sound where the browser allows it, else
    // muted (autoplay policy) with a speaker button to turn the sound on.
    const hasSound = player.hasAttribute('data-audio');
    const unmute = $('#unmute');
    const showUnmute = () => {
      if (unmute) unmute.hidden = !(hasSound && video.muted);
    };
    video.addEventListener('volumechange', showUnmute);
    unmute?.addEventListener('click', () => {
      video.muted = false;
      if (video.paused) video.play().catch(() => {});
    });
    if (!hasSound) video.muted = true;
    video.play().then(showUnmute, (err) => {
      if (err?.name !== 'NotAllowedError') return showUnmute();
      video.muted = true;
      showUnmute();
      video.play().catch(() => {});
    });
    let renewals = 0;
    video.addEventListener('playing', () => {
      renewals = 0;
    });
    video.addEventListener('error', () => {
      if (renewals >= 3) return;
      renewals++;
      const at = video.currentTime;
      const wasPlaying = !video.paused || video.autoplay;
      fetch(`/api/movies/${encodeURIComponent(id)}`, { cache: 'no-store' })
        .then((res) => {
          if (res.status === 404) {
            player.remove();
            return null;
          }
          return res.ok ? res.json() : null;
        })
        .then((body) => {
          const movie = body?.movie;
          if (!movie?.videoUrl) return;
          video.addEventListener(
            'loadedmetadata',
            () => {
              if (at > 0) video.currentTime = at;
              if (wasPlaying) video.play().catch(() => {});
            },
            { once: true },
          );
          if (movie.posterUrl) video.poster = movie.posterUrl;
          video.src = movie.videoUrl;
        })
        .catch(() => {});
    });
  }

  // "Your film is on its way": ask quietly, reload once the film is there.
  const waiting = $('[data-wait-id]');
  if (waiting) {
    const id = waiting.getAttribute('data-wait-id');
    const every = Math.max(2, Number(waiting.getAttribute('data-wait-seconds')) || 5) * 1000;
    const check = () => {
      fetch(`/api/movies/${encodeURIComponent(id)}`, { cache: 'no-store' })
        .then(async (res) => {
          if (res.ok) return location.reload();
          const body = await res.json().catch(() => null);
          // Anything but "not yet" (refused in review, removed): the page now says what is true.
          if (res.status === 404 && body?.error?.code && body.error.code !== 'not_yet') return location.reload();
          setTimeout(check, every);
        })
        .catch(() => setTimeout(check, every));
    };
    setTimeout(check, every);
  }
})();
