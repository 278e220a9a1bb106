// The chat contacts sidebar: every other user with an online dot and an unread badge, kept in the API's
// order (those with messages first, latest first; then the rest by nickname) as messages and presence arrive.
import { h, path, count, avatar } from '../dom.js';
import { api } from '../api.js';
import { currentUser, isConversationVisible } from '../state.js';
import { reportError } from '../toast.js';

function time(contact) {
  return contact.last_message_at ? Date.parse(contact.last_message_at) : null;
}

function byNickname(a, b) {
  const x = a.user.nickname.toLowerCase();
  const y = b.user.nickname.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a.user.nickname < b.user.nickname ? -1 : 1;
}

function compare(a, b) {
  const ta = time(a);
  const tb = time(b);
  if (ta != null && tb != null && ta !== tb) return tb - ta;
  if ((ta == null) !== (tb == null)) return ta == null ? 1 : -1;
  return byNickname(a, b);
}

/**
 * createContacts returns the sidebar ({el, load, setActive, noteMessage, setOnline, setOnlineUsers,
 * clearUnread}); load fills it from GET /api/contacts, a page at a time ("More contacts"), and the search box
 * lists the contacts whose nickname starts with what is typed.
 */
export function createContacts() {
  const me = currentUser();
  const entries = new Map(); // user id → {contact, li, link, dot, status, badge, unreadText}
  const list = h('ul', { id: 'contacts', class: 'contacts' });
  const empty = h('p', { class: 'list-status' });
  const more = h('button', { type: 'button', id: 'contacts-more', class: 'link-button', hidden: true }, 'More contacts');
  const search = h('input', { type: 'search', id: 'contacts-search', placeholder: 'Find someone', 'aria-label': 'Find a contact by nickname', autocomplete: 'off', spellcheck: 'false' });
  let active = null;
  let next = null; // cursor of the next page, null at the end
  let query = '';
  let loading = null; // the AbortController of the page being read
  let outer = null; // the view's signal: loads end with it

  function markActive({ contact, link }) {
    if (contact.user.id === active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }

  function render({ contact, dot, status, badge, unreadText }) {
    dot.classList.toggle('online', contact.online);
    status.textContent = contact.online ? ' (online)' : ' (offline)';
    badge.textContent = contact.unread;
    badge.hidden = contact.unread === 0;
    unreadText.textContent = contact.unread ? `, ${count(contact.unread, 'unread message')}` : '';
  }

  function add(contact) {
    const entry = {
      contact,
      dot: h('span', { class: 'online-dot', 'aria-hidden': 'true' }),
      status: h('span', { class: 'visually-hidden' }),
      badge: h('span', { class: 'unread', 'aria-hidden': 'true' }),
      unreadText: h('span', { class: 'visually-hidden' }),
    };
    entry.link = h('a', { href: path('chat', contact.user.id) },
      entry.dot, avatar(contact.user), h('span', { class: 'contact-name' }, contact.user.nickname), entry.status, entry.badge, entry.unreadText);
    entry.li = h('li', { class: 'contact', 'data-user-id': contact.user.id }, entry.link);
    entries.set(contact.user.id, entry);
    list.append(entry.li);
    empty.textContent = '';
    markActive(entry);
    render(entry);
    return entry;
  }

  function known(user) {
    return entries.get(user.id) ?? add({ user, online: false, last_message_at: null, unread: 0 });
  }

  // sort moves only the items that are out of place, so that a focused link mostly stays put.
  function sort() {
    [...entries.values()].sort((x, y) => compare(x.contact, y.contact)).forEach((entry, i) => {
      if (list.children[i] !== entry.li) list.insertBefore(entry.li, list.children[i]);
    });
  }

  // loadPage reads the page after cursor (null: the first) of the contacts matching query.
  async function loadPage(cursor) {
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    outer?.addEventListener('abort', () => controller.abort(), { once: true });
    const page = await api.get('/api/contacts', { query: { q: query || undefined, cursor: cursor || undefined }, signal: controller.signal });
    if (controller.signal.aborted) return;
    page.items.forEach((c) => (entries.has(c.user.id) ? null : add(c)));
    next = page.next;
    more.hidden = next == null;
    if (entries.size === 0) empty.textContent = query ? 'Nobody by that name.' : 'Nobody else is here yet.';
  }

  function reload() {
    entries.clear();
    list.replaceChildren();
    empty.textContent = '';
    loadPage(null).catch(reportError);
  }

  let typing = null;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      const q = search.value.trim().toLowerCase();
      if (q === query) return;
      query = q;
      reload();
    }, 250);
  });
  more.addEventListener('click', () => {
    if (next != null) loadPage(next).catch(reportError);
  });

  return {
    el: h('nav', { id: 'contacts-panel', class: 'sidebar', 'aria-label': 'Contacts' }, h('h2', {}, 'Contacts'), search, list, empty, more),
    async load(signal) {
      outer = signal;
      await loadPage(null);
    },
    /** setActive marks the contact whose conversation is open (null for none). */
    setActive(userId) {
      active = userId;
      entries.forEach(markActive);
    },
    /** noteMessage moves the other participant up and counts the message as unread unless it is on screen. */
    noteMessage(message) {
      const incoming = message.from.id !== me.id;
      const other = incoming ? message.from : message.to;
      if (!other) return;
      const entry = known(other);
      if (time(entry.contact) == null || Date.parse(message.created_at) > time(entry.contact)) {
        entry.contact.last_message_at = message.created_at;
      }
      if (incoming && !isConversationVisible(other.id)) entry.contact.unread += 1;
      render(entry);
      sort();
    },
    setOnline(user, online) {
      if (user.id === me.id) return;
      const entry = known(user);
      entry.contact.online = online;
      render(entry);
      sort();
    },
    /** setOnlineUsers takes the full list of who is online (from a hello). */
    setOnlineUsers(users) {
      const online = new Set(users.map((u) => u.id));
      for (const user of users) if (user.id !== me.id) known(user);
      for (const entry of entries.values()) {
        entry.contact.online = online.has(entry.contact.user.id);
        render(entry);
      }
      sort();
    },
    clearUnread(userId) {
      const entry = entries.get(userId);
      if (!entry || entry.contact.unread === 0) return;
      entry.contact.unread = 0;
      render(entry);
    },
  };
}
