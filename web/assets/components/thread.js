// A message thread (a direct conversation or a room): history newest first from the API, shown oldest
// at the top; older pages load when the list is scrolled to its top; sent messages show as pending
// until acknowledged; every message shows once, however many ways it arrives.
import { h, timeEl, uuid } from '../dom.js';
import { currentUser } from '../state.js';
import { richText } from '../richtext.js';
import { reportError } from '../toast.js';
import { createTypingSender, createTypingIndicator } from './typing.js';

const NEAR_EDGE_PX = 48;
const OLDER_EVERY_MS = 500;

let nextInputId = 0;

/**
 * createThread returns the thread's element and its operations. Options:
 *   listId, formId, label: ids of the list and the form, the list's accessible name;
 *   loadPage(cursor, signal): resolves to a page {items (newest first), next};
 *   send(body, clientId): sends over the WebSocket, returns false when not connected;
 *   post(body, clientId): sends over HTTP instead, resolves to {message};
 *   sendTyping(active): tells the others whether I am typing.
 */
export function createThread({ listId, formId, label, loadPage, send, post, sendTyping }) {
  const me = currentUser();
  const controller = new AbortController();
  const shown = new Set();
  const pending = new Map(); // client_id → {el, status, body, viaHttp}
  let next = null;
  let newest = null;
  let inFlight = false;
  let lastOlderAt = 0;
  let olderTimer = null;

  const list = h('ol', { id: listId, class: 'messages', role: 'log', 'aria-label': label, tabindex: '0' });
  const older = h('button', { type: 'button', class: 'load-older', hidden: true }, 'Load older messages');
  const indicator = createTypingIndicator();
  const input = h('textarea', { id: `message-input-${++nextInputId}`, name: 'body', rows: '2', maxlength: '4000', placeholder: 'Write a message…' });
  const form = h('form', { id: formId, class: 'message-form' },
    h('label', { for: input.id, class: 'visually-hidden' }, 'Message'), input, h('button', { type: 'submit' }, 'Send'));
  const typing = createTypingSender(sendTyping);

  const messageEl = (m) => h('li', { class: m.from.id === me.id ? 'message mine' : 'message', 'data-id': m.id, 'data-seq': String(m.seq) },
    h('p', { class: 'message-meta' }, h('span', { class: 'message-from' }, m.from.nickname), ' ', timeEl(m.created_at)),
    richText('div', 'message-body', m.body_html));

  function track(m) {
    shown.add(m.id);
    if (!newest || m.seq > newest.seq) newest = m;
  }

  // append adds el at the bottom, keeping the list scrolled to the bottom if it was there (or if follow).
  function append(el, follow) {
    const atBottom = follow || list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_EDGE_PX;
    list.append(el);
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

  function submit(event) {
    event.preventDefault();
    const body = input.value;
    if (!body.trim()) return;
    const clientId = uuid();
    const status = h('span', { class: 'message-status' }, 'sending…');
    const el = h('li', { class: 'message mine pending', 'data-client-id': clientId },
      h('p', { class: 'message-meta' }, h('span', { class: 'message-from' }, me.nickname), ' ', status),
      h('div', { class: 'message-body' }, body));
    const entry = { el, status, body, viaHttp: false };
    pending.set(clientId, entry);
    append(el, true);
    input.value = '';
    typing.stop();
    if (send(body, clientId)) return;
    entry.viaHttp = true;
    post(body, clientId).then(({ message }) => ack(clientId, message), (err) => {
      fail(clientId, err.message);
      reportError(err);
    });
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
    entry.el.replaceWith(messageEl(message));
  }

  /** fail marks the pending message sent as clientId as not sent. */
  function fail(clientId, reason) {
    const entry = pending.get(clientId);
    if (!entry) return;
    pending.delete(clientId);
    entry.el.classList.replace('pending', 'failed');
    entry.status.textContent = `not sent: ${reason}`;
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
      echo[1].el.replaceWith(messageEl(message));
    } else {
      append(messageEl(message), mine);
    }
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
    el: h('section', { class: 'thread', 'aria-label': label }, older, list, indicator.el, form),
    /** load shows the newest page, scrolled to the bottom; it rejects if that page cannot be had. */
    async load() {
      await fetchPage(undefined);
      list.scrollTop = list.scrollHeight;
      checkTop();
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
    /** system shows a line from the server (someone joined or left). */
    system: (text) => append(h('li', { class: 'system' }, text), false),
    /** typing shows or hides "user is typing…". */
    typing: indicator.set,
    /** resend sends the messages still pending over the WebSocket again (after a reconnect). */
    resend() {
      for (const [clientId, entry] of pending) if (!entry.viaHttp) send(entry.body, clientId);
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
