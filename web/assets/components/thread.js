// A message thread (a direct conversation or a room): history newest first from the API, shown oldest
// at the top with a line at each new day; older pages load when the list is scrolled to its top; every
// message shows once, however many ways it arrives. What is typed is kept as a draft; a message sent
// waits in an outbox (kept across reloads) until it is stored: "sending…", "waiting for the connection…"
// while offline (it goes out by itself on reconnect, with the same client_id, so it is stored once), or
// "not sent" with a Retry button.
import { h, timeEl, uuid, dayLabel, sameDay, avatar } from '../dom.js';
import { currentUser } from '../state.js';
import { richText } from '../richtext.js';
import { reportError } from '../toast.js';
import { createTypingSender, createTypingIndicator } from './typing.js';
import { keepDraft, clearDraft } from '../drafts.js';
import { attachMentions, formattingHelp } from './composer.js';
import { attachPictures } from './attach.js';
import { flagButton } from './flag.js';
import { createReactions } from './reactions.js';

const NEAR_EDGE_PX = 48;
const OLDER_EVERY_MS = 500;

let nextInputId = 0;

/**
 * createThread returns the thread's element and its operations. Options:
 *   listId, formId, label: ids of the list and the form, the list's accessible name;
 *   loadPage(cursor, signal): resolves to a page {items (newest first), next};
 *   send(body, clientId): sends over the WebSocket, returns false when not connected;
 *   post(body, clientId): sends over HTTP instead, resolves to {message};
 *   sendTyping(active): tells the others whether I am typing;
 *   draftKey: where what is typed is kept; outboxKey: where messages not yet stored are kept;
 *   mayReact(): true when the reader may react to the messages, else why not (see createReactions).
 */
export function createThread({ listId, formId, label, loadPage, send, post, sendTyping, draftKey, outboxKey, mayReact }) {
  const me = currentUser();
  const controller = new AbortController();
  const shown = new Set();
  const pending = new Map(); // client_id → {el, status, retry, body, viaHttp}
  let next = null;
  let newest = null;
  let inFlight = false;
  let lastOlderAt = 0;
  let olderTimer = null;

  // A list of messages (its items are list items to assistive technology) inside a log region that
  // announces what arrives.
  const list = h('ol', { id: listId, class: 'messages', 'aria-label': label, tabindex: '0' });
  const log = h('div', { class: 'messages-log', role: 'log', 'aria-label': label }, list);
  const older = h('button', { type: 'button', class: 'load-older', hidden: true }, 'Load older messages');
  const indicator = createTypingIndicator();
  const input = h('textarea', { id: `message-input-${++nextInputId}`, name: 'body', rows: '2', maxlength: '4000', placeholder: 'Write a message…' });
  const pictures = attachPictures(input);
  const form = h('form', { id: formId, class: 'message-form' },
    h('label', { for: input.id, class: 'visually-hidden' }, 'Message'), input, pictures.button, h('button', { type: 'submit' }, 'Send'));
  if (draftKey) keepDraft(input, `chat.${draftKey}`);
  const mentions = attachMentions(input);
  const help = formattingHelp();
  const typing = createTypingSender(sendTyping);

  const reactionBars = new Map(); // message id → its reaction bar
  const messageEl = (m) => {
    const bar = m.hidden ? null : createReactions({ base: `/api/messages/${encodeURIComponent(m.id)}`, kind: 'message', id: m.id, item: m, label: 'Reactions to this message', mayReact });
    if (bar) reactionBars.set(m.id, bar);
    return h('li', { class: m.from.id === me.id ? 'message mine' : 'message', 'data-id': m.id, 'data-seq': String(m.seq), 'data-at': m.created_at },
      h('p', { class: 'message-meta' }, avatar(m.from), h('span', { class: 'message-from' }, m.from.nickname), ' ', timeEl(m.created_at),
        m.from.id !== me.id && !m.hidden ? flagButton('messages', m.id) : null),
      m.hidden && !m.body_html ? h('div', { class: 'message-body hint' }, 'Hidden by a moderator.') : richText('div', 'message-body', m.body_html),
      bar?.el);
  };

  // Date lines: one before the first message of each day, redrawn whenever messages come in.
  function redrawDays() {
    for (const el of list.querySelectorAll('.day-separator')) el.remove();
    let prev = null;
    for (const el of list.querySelectorAll('.message[data-at]')) {
      const at = new Date(el.dataset.at);
      if (!prev || !sameDay(prev, at)) el.before(h('li', { class: 'day-separator' }, h('span', {}, dayLabel(at))));
      prev = at;
    }
  }

  // The outbox: messages sent and not yet stored, kept across reloads.
  const OUTBOX = outboxKey ? `forum.outbox.${outboxKey}` : null;
  function saveOutbox() {
    if (!OUTBOX) return;
    const items = [...pending].map(([clientId, e]) => ({ clientId, body: e.body }));
    try {
      if (items.length) localStorage.setItem(OUTBOX, JSON.stringify(items.slice(-50)));
      else localStorage.removeItem(OUTBOX);
    } catch {
      // Storage refused: the outbox lives as long as the page.
    }
  }
  function loadOutbox() {
    if (!OUTBOX) return [];
    try {
      const items = JSON.parse(localStorage.getItem(OUTBOX) ?? '[]');
      return Array.isArray(items) ? items.filter((x) => typeof x?.clientId === 'string' && typeof x?.body === 'string') : [];
    } catch {
      return [];
    }
  }

  function track(m) {
    shown.add(m.id);
    if (!newest || m.seq > newest.seq) newest = m;
  }

  // append adds el at the bottom, keeping the list scrolled to the bottom if it was there (or if follow).
  function append(el, follow) {
    const atBottom = follow || list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_EDGE_PX;
    const firstPending = list.querySelector('.message.pending, .message.failed');
    if (firstPending && !el.classList.contains('pending')) firstPending.before(el);
    else list.append(el);
    redrawDays();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  async function fetchPage(cursor) {
    inFlight = true;
    lastOlderAt = Date.now();
    try {
      const page = await loadPage(cursor, controller.signal);
      const fresh = page.items.filter((m) => !shown.has(m.id)).reverse();
      fresh.forEach(track);
      const fromBottom = list.scrollHeight - list.scrollTop;
      list.prepend(...fresh.map(messageEl));
      redrawDays();
      list.scrollTop = list.scrollHeight - fromBottom;
      next = page.next ?? null;
      older.hidden = next == null;
    } finally {
      inFlight = false;
    }
  }

  // At most one request in flight and one every 500 ms; a request that comes too soon waits its turn.
  function requestOlder() {
    if (next == null || inFlight || olderTimer) return;
    const wait = lastOlderAt + OLDER_EVERY_MS - Date.now();
    if (wait > 0) {
      olderTimer = setTimeout(() => {
        olderTimer = null;
        requestOlder();
      }, wait);
      return;
    }
    fetchPage(next).then(checkTop, reportError);
  }

  function checkTop() {
    if (list.scrollTop < NEAR_EDGE_PX) requestOlder();
  }

  // queue shows a message of mine that is not stored yet, and keeps it in the outbox.
  function queue(body, clientId) {
    const status = h('span', { class: 'message-status', role: 'status' }, 'sending…');
    const retry = h('button', { type: 'button', class: 'link-button retry', hidden: true }, 'Retry');
    const el = h('li', { class: 'message mine pending', 'data-client-id': clientId },
      h('p', { class: 'message-meta' }, h('span', { class: 'message-from' }, me.nickname), ' ', status, ' ', retry),
      h('div', { class: 'message-body' }, body));
    const entry = { el, status, retry, body, viaHttp: false };
    retry.addEventListener('click', () => deliver(clientId));
    pending.set(clientId, entry);
    list.append(el);
    list.scrollTop = list.scrollHeight;
    saveOutbox();
    return entry;
  }

  function setState(entry, state, reason = '') {
    entry.el.classList.toggle('failed', state === 'failed');
    entry.el.classList.toggle('pending', state !== 'failed');
    entry.el.dataset.state = state;
    entry.status.textContent = { sending: 'sending…', waiting: 'waiting for the connection…', failed: `not sent: ${reason}` }[state];
    entry.retry.hidden = state !== 'failed';
  }

  // deliver sends a queued message: over the WebSocket when it is live, else over HTTP; a send that
  // cannot reach the server waits for the connection, one the server refuses shows why, with Retry.
  function deliver(clientId) {
    const entry = pending.get(clientId);
    if (!entry) return;
    setState(entry, 'sending');
    if (send(entry.body, clientId)) {
      entry.viaHttp = false;
      return;
    }
    if (!navigator.onLine) {
      setState(entry, 'waiting');
      return;
    }
    entry.viaHttp = true;
    post(entry.body, clientId).then(({ message }) => ack(clientId, message), (err) => {
      entry.viaHttp = false;
      if (!pending.has(clientId)) return;
      if (err.status === 0 || err.status === 503) setState(entry, 'waiting');
      else {
        setState(entry, 'failed', err.message);
        reportError(err);
      }
    });
  }

  function submit(event) {
    event.preventDefault();
    const body = input.value;
    if (!body.trim()) return;
    const clientId = uuid();
    queue(body, clientId);
    input.value = '';
    if (draftKey) clearDraft(`chat.${draftKey}`);
    typing.stop();
    deliver(clientId);
  }

  /** ack replaces the pending message sent as clientId with the stored one. */
  function ack(clientId, message) {
    const entry = pending.get(clientId);
    if (!entry) return;
    pending.delete(clientId);
    if (shown.has(message.id)) {
      entry.el.remove();
      return;
    }
    track(message);
    entry.el.remove();
    append(messageEl(message), true);
    saveOutbox();
  }

  /** fail marks the pending message sent as clientId as not sent, with a Retry. */
  function fail(clientId, reason) {
    const entry = pending.get(clientId);
    if (entry) setState(entry, 'failed', reason);
  }

  /** add shows a message that arrived live at the bottom, unless it is shown already. */
  function add(message) {
    if (shown.has(message.id)) return;
    track(message);
    indicator.set(message.from, false);
    const mine = message.from.id === me.id;
    // My own message may come back before its ack: it takes the place of its pending copy.
    const echo = mine && [...pending].find(([, entry]) => entry.body === message.body);
    if (echo) {
      pending.delete(echo[0]);
      echo[1].el.remove();
      saveOutbox();
    }
    append(messageEl(message), mine);
  }

  input.addEventListener('input', () => typing.input(input.value.trim() !== ''));
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', submit);
  list.addEventListener('scroll', checkTop, { passive: true });
  older.addEventListener('click', requestOlder);

  return {
    el: h('section', { class: 'thread', 'aria-label': label }, older, log, indicator.el, pictures.list, form, mentions, help),
    /** load shows the newest page, scrolled to the bottom, then what waits in the outbox; it rejects if that page cannot be had. */
    async load() {
      await fetchPage(undefined);
      for (const { clientId, body } of loadOutbox()) if (!pending.has(clientId)) setState(queue(body, clientId), 'waiting');
      list.scrollTop = list.scrollHeight;
      checkTop();
    },
    /** setLive marks the thread as getting its messages live (data-live on the list). */
    setLive(live) {
      list.dataset.live = String(live);
    },
    add,
    /**
     * catchUp fetches the newest page again and puts in place the messages that are not shown yet:
     * those stored between the history load and the moment live delivery began (a room join).
     */
    async catchUp() {
      const page = await loadPage(undefined, controller.signal);
      for (const m of page.items.filter((m) => !shown.has(m.id)).reverse()) {
        track(m);
        const later = [...list.querySelectorAll('.message[data-seq]')].find((el) => Number(el.dataset.seq) > m.seq);
        if (later) later.before(messageEl(m));
        else append(messageEl(m), false);
      }
    },
    ack,
    fail,
    /** hide shows a message a moderator hid as hidden. */
    hide(id) {
      const el = list.querySelector(`.message[data-id="${CSS.escape(id)}"] .message-body`);
      el?.replaceWith(h('div', { class: 'message-body hint' }, 'Hidden by a moderator.'));
      reactionBars.get(id)?.el.remove();
      reactionBars.delete(id);
    },
    /** reaction applies a reaction frame to the message it is about, if shown. */
    reaction(msg) {
      if (msg.target.kind === 'message') reactionBars.get(msg.target.id)?.frame(msg);
    },
    /** system shows a line from the server (someone joined or left). */
    system: (text) => append(h('li', { class: 'system' }, text), false),
    /** typing shows or hides "user is typing…". */
    typing: indicator.set,
    /** resend sends the messages still waiting again (after a reconnect), with their client_id. */
    resend() {
      for (const [clientId, entry] of pending) if (!entry.viaHttp && entry.el.dataset.state !== 'failed') deliver(clientId);
    },
    newestId: () => newest?.id ?? null,
    dispose() {
      controller.abort();
      clearTimeout(olderTimer);
      typing.stop();
      indicator.dispose();
    },
  };
}
