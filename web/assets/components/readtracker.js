// How far the reader has read a post: the furthest comment that came into view, sent to the server as
// they scroll (POST /api/posts/{id}/read), at most once every few seconds, and the last position once
// more when the post is left. The server writes one position a reader and post every 5 s: one that
// comes sooner is held and written when the interval ends, so the last send on leaving is never lost.
import { path } from '../dom.js';

const FIRST_MS = 800; // what is in view first, before the first send
const EVERY_MS = 5000;
const MARGIN_MS = 250;

/** trackReading returns {observe(el), start(), dispose()} for postId: observe a comment's li[data-id][data-seq]. */
export function trackReading(postId) {
  let seen = null; // the furthest comment in view: {id, seq}
  let sent = -1; // the seq of the last position stored (0: opened, no comment); -1: nothing yet
  let nextAt = 0; // no send before
  let timer = null;
  let busy = false;
  let started = false;
  const url = path('api', 'posts', postId, 'read');

  async function post(upTo, keepalive) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      credentials: 'same-origin',
      keepalive,
      body: JSON.stringify({ up_to_comment: seen?.id ?? null }),
    });
    if (res.ok) sent = upTo;
    nextAt = Date.now() + EVERY_MS + MARGIN_MS;
  }

  const send = async () => {
    timer = null;
    const upTo = seen?.seq ?? 0;
    if (busy || upTo <= sent) return;
    busy = true;
    try {
      await post(upTo, false);
    } catch {
      nextAt = Date.now() + EVERY_MS; // the forum is out of reach: the next scroll tries again
    } finally {
      busy = false;
    }
    schedule();
  };

  function schedule() {
    if (!started || timer || busy || (seen?.seq ?? 0) <= sent) return;
    const wait = sent < 0 && nextAt === 0 ? FIRST_MS : Math.max(0, nextAt - Date.now());
    timer = setTimeout(send, wait);
  }

  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      const seq = Number(e.target.dataset.seq);
      if (!seen || seq > seen.seq) seen = { id: e.target.dataset.id, seq };
      observer.unobserve(e.target);
    }
    schedule();
  });

  return {
    observe(el) {
      if (el.dataset.id && el.dataset.seq) observer.observe(el);
    },
    start() {
      started = true;
      schedule();
    },
    dispose() {
      observer.disconnect();
      clearTimeout(timer);
      if (started && (seen?.seq ?? 0) > sent) post(seen?.seq ?? 0, true).catch(() => {});
    },
  };
}
