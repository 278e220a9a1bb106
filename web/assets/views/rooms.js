// Chat rooms: the list (/rooms) with the rooms one is a member of and their unread counts, kept live,
// then every room, and a form to open one by name; and a room (/rooms/{name}) with its members, who is
// online, and Join / Leave. Opening a room's page watches it; membership is a choice of its own.
import { h, path, timeEl, count, hiddenText, avatar } from '../dom.js';
import { api, ApiError } from '../api.js';
import * as ws from '../ws.js';
import { currentUser, isVisible } from '../state.js';
import { navigate } from '../router.js';
import { field, onSubmit, showError } from '../forms.js';
import { createThread } from '../components/thread.js';
import { reportError } from '../toast.js';

const ROOM_NAME = /^[a-z0-9-]{1,32}$/;
const PAGE_SIZE = 50;

// unreadBadge is a room's unread count: a badge, and its words for assistive technology.
function unreadBadge(n) {
  const badge = h('span', { class: 'unread', 'aria-hidden': 'true', hidden: n === 0 }, String(n));
  const words = hiddenText(n ? `, ${count(n, 'unread message')}` : '');
  return {
    el: [badge, words],
    set(k) {
      badge.textContent = String(k);
      badge.hidden = k === 0;
      words.textContent = k ? `, ${count(k, 'unread message')}` : '';
    },
  };
}

export const rooms = {
  name: 'rooms',
  auth: true,
  async mount({ main, scope, setTitle }) {
    setTitle('Rooms');
    const form = h('form', { id: 'room-form', class: 'inline-form' },
      field('Room name (a–z, 0–9 and -, up to 32)', 'name', { required: true, maxlength: '32', autocapitalize: 'none', spellcheck: 'false' }),
      h('button', { type: 'submit' }, 'Open room'));
    onSubmit(form, (data) => {
      const name = String(data.get('name')).trim().toLowerCase();
      if (!ROOM_NAME.test(name)) {
        showError(form, { field: 'name', message: 'Use 1 to 32 lowercase letters, digits or dashes.' });
        return;
      }
      navigate(path('rooms', name));
    });
    const mine = h('ul', { id: 'my-rooms', class: 'room-list' });
    const mineEmpty = h('p', { class: 'hint', hidden: true }, 'You are in no room yet: open one and join it.');
    const list = h('ul', { id: 'all-rooms', class: 'room-list' });
    const more = h('button', { type: 'button', id: 'rooms-more', class: 'link-button', hidden: true }, 'More rooms');
    main.append(h('h1', {}, 'Rooms'), form,
      h('h2', {}, 'Your rooms'), mine, mineEmpty,
      h('h2', {}, 'All rooms'), list, more);

    // Your rooms, by name, each with its unread count, kept live by the frames members get.
    const members = new Map(); // room → {li, unread, count}
    async function loadMine() {
      const page = await api.get('/api/rooms', { query: { mine: 'true', limit: 100 }, signal: scope.signal });
      members.clear();
      mine.replaceChildren(...page.items.map((room) => {
        const badge = unreadBadge(room.unread);
        const li = h('li', { class: 'room', 'data-room': room.name },
          h('a', { href: path('rooms', room.name) }, `#${room.name}`, ' ', badge.el));
        members.set(room.name, { li, badge, unread: room.unread });
        return li;
      }));
      mineEmpty.hidden = page.items.length > 0;
    }
    scope.listen((msg) => {
      const me = currentUser();
      if (msg.type === 'room.message' && msg.message.from.id !== me.id) {
        const m = members.get(msg.message.room);
        if (m) m.badge.set(++m.unread);
      } else if (msg.type === 'room.read') {
        const m = members.get(msg.room);
        if (m) m.badge.set((m.unread = 0));
      } else if (msg.type === 'room.system' && msg.user.id === me.id) {
        loadMine().catch(reportError);
      }
    });

    // Every room, a page at a time: those with messages first, newest first, then the rest by name.
    let next = null;
    async function loadPage(cursor) {
      const page = await api.get('/api/rooms', { query: { cursor: cursor || undefined }, signal: scope.signal });
      list.append(...page.items.map((room) => h('li', { class: 'room' },
        h('a', { href: path('rooms', room.name) }, `#${room.name}`), ' ',
        h('span', { class: 'muted' }, count(room.online, 'person', 'people'), ' here',
          room.last_message_at && [' · last message ', timeEl(room.last_message_at)]))));
      next = page.next;
      more.hidden = next == null;
    }
    more.addEventListener('click', () => {
      if (next != null) loadPage(next).catch(reportError);
    });
    await Promise.all([loadMine(), loadPage(null)]);
    if (list.children.length === 0) list.replaceWith(h('p', { class: 'hint' }, 'No rooms yet: open one by its name above.'));
  },
};

// createMembers is a room's member list: who they are, with an online dot each, kept live.
function createMembers(name, signal) {
  const list = h('ul', { id: 'room-members', class: 'member-list', 'aria-label': `Members of #${name}` });
  const empty = h('p', { class: 'hint' }, 'No members yet.');
  const entries = new Map(); // user id → {li, dot, status}
  function add(user, online) {
    if (entries.has(user.id)) return;
    const dot = h('span', { class: 'online-dot', 'aria-hidden': 'true' });
    const status = hiddenText('');
    const li = h('li', { class: 'member', 'data-id': user.id }, dot, avatar(user), h('a', { href: path('users', user.id) }, user.nickname), status);
    entries.set(user.id, { li, dot, status });
    list.append(li);
    setOnline(user.id, online);
    empty.hidden = true;
  }
  function setOnline(id, online) {
    const e = entries.get(id);
    if (!e) return;
    e.dot.classList.toggle('online', online);
    e.status.textContent = online ? ' (online)' : ' (offline)';
    e.li.classList.toggle('is-online', online);
    // Online members first, each group by name.
    const sorted = [...entries.values()].sort((a, b) => (Number(b.li.classList.contains('is-online')) - Number(a.li.classList.contains('is-online')))
      || a.li.textContent.localeCompare(b.li.textContent));
    list.append(...sorted.map((x) => x.li));
  }
  return {
    el: h('section', { class: 'room-members', 'aria-labelledby': 'room-members-heading' },
      h('h2', { id: 'room-members-heading' }, 'Members'), list, empty),
    /** load shows the first 500 members; it resolves to whether the caller is one. */
    async load() {
      let cursor;
      let member = false;
      for (let i = 0; i < 10; i++) {
        const page = await api.get(path('api', 'rooms', name, 'members'), { query: { limit: 50, cursor }, signal });
        for (const m of page.items) add(m.user, m.online);
        if (i === 0) member = page.member;
        if (!page.next) break;
        cursor = page.next;
      }
      return member;
    },
    has: (id) => entries.has(id),
    add,
    remove(id) {
      entries.get(id)?.li.remove();
      entries.delete(id);
      empty.hidden = entries.size > 0;
    },
    setOnline,
  };
}

export const room = {
  name: 'room',
  auth: true,
  async mount({ main, params, scope, setTitle }) {
    const { name } = params;
    if (!ROOM_NAME.test(name)) throw new ApiError(404, { code: 'not_found', message: 'No such room' });
    const me = currentUser();
    setTitle(`#${name}`);
    const thread = createThread({
      listId: 'room-messages',
      formId: 'room-form',
      label: `Messages in #${name}`,
      draftKey: `room.${name}`,
      loadPage: (cursor, signal) => api.get(path('api', 'rooms', name, 'messages'), { query: { limit: PAGE_SIZE, cursor }, signal }),
      send: (body, clientId) => ws.send({ type: 'room.message', room: name, body, client_id: clientId }),
      post: (body, clientId) => api.post(path('api', 'rooms', name, 'messages'), { body, client_id: clientId }),
      sendTyping: (active) => ws.send({ type: 'room.typing', room: name, active }),
      outboxKey: `room.${name}`,
      mayReact: () => member || 'Join the room to react to its messages.',
    });
    scope.add(thread.dispose);
    const members = createMembers(name, scope.signal);
    // Disabled until the page knows whether the caller is a member.
    const toggle = h('button', { type: 'button', id: 'room-membership', disabled: true }, 'Join room');
    let member = false;
    let known = false; // set by the first answer or event that says
    const showMembership = (m) => {
      member = m;
      known = true;
      toggle.textContent = m ? 'Leave room' : 'Join room';
      toggle.classList.toggle('secondary', m);
    };
    toggle.addEventListener('click', async () => {
      toggle.disabled = true;
      const joining = !member;
      try {
        await api.post(path('api', 'rooms', name, joining ? 'join' : 'leave'), {});
        showMembership(joining);
        if (member) markRead();
      } catch (err) {
        reportError(err);
      } finally {
        toggle.disabled = false;
      }
    });

    // A member who sees the room has read it.
    let lastRead = null;
    function markRead() {
      const upTo = thread.newestId();
      if (!member || !upTo || upTo === lastRead || !isVisible()) return;
      lastRead = upTo;
      api.post(path('api', 'rooms', name, 'read'), { up_to: upTo }).catch(reportError);
    }
    document.addEventListener('visibilitychange', markRead);
    scope.add(() => document.removeEventListener('visibilitychange', markRead));

    main.append(
      h('div', { class: 'room-head' }, h('h1', {}, `#${name}`), toggle, h('a', { href: '/rooms' }, 'All rooms')),
      h('div', { class: 'room-layout' }, thread.el, members.el));

    ws.joinRoom(name);
    scope.add(() => ws.leaveRoom(name));
    scope.listen((msg) => {
      switch (msg.type) {
        case 'hello':
          thread.resend();
          break;
        case 'presence':
          members.setOnline(msg.user.id, msg.online);
          break;
        case 'room.message':
          if (msg.message.room === name) {
            thread.add(msg.message);
            markRead();
          }
          break;
        case 'hidden':
          if (msg.target.kind === 'message') thread.hide(msg.target.id);
          break;
        case 'reaction':
          thread.reaction(msg);
          break;
        case 'ack':
          thread.ack(msg.client_id, msg.message);
          markRead();
          break;
        case 'error':
          if (msg.client_id) thread.fail(msg.client_id, msg.message);
          break;
        case 'room.joined':
          // Live delivery starts here: fetch what was stored since the history was read.
          if (msg.room === name) thread.catchUp().then(() => thread.setLive(true), () => {});
          break;
        case 'room.system':
          if (msg.room !== name) break;
          thread.system(msg.text);
          if (msg.kind === 'join') members.add(msg.user, true); // joining takes a click: they are here
          else members.remove(msg.user.id);
          if (msg.user.id === me.id) showMembership(msg.kind === 'join');
          break;
        case 'room.typing':
          if (msg.room === name && msg.from.id !== me.id) thread.typing(msg.from, msg.active);
          break;
      }
    });
    const [, isMember] = await Promise.all([thread.load(), members.load()]);
    if (!known) showMembership(isMember);
    toggle.disabled = false;
    markRead();
  },
};
