// Chat rooms: the list with a form to open a room by name (/rooms), and a room (/rooms/{name}).
import { h, path, timeEl, count } from '../dom.js';
import { api, ApiError } from '../api.js';
import * as ws from '../ws.js';
import { currentUser } from '../state.js';
import { navigate } from '../router.js';
import { field, onSubmit, showError } from '../forms.js';
import { createThread } from '../components/thread.js';
import { reportError } from '../toast.js';

const ROOM_NAME = /^[a-z0-9-]{1,32}$/;
const PAGE_SIZE = 50;

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
    const list = h('ul', { class: 'room-list' });
    const more = h('button', { type: 'button', id: 'rooms-more', class: 'link-button', hidden: true }, 'More rooms');
    main.append(h('h1', {}, 'Rooms'), form, h('h2', {}, 'Open rooms'), list, more);

    // Rooms come a page at a time: those with messages first, newest first, then the rest by name.
    let next = null;
    async function loadPage(cursor) {
      const page = await api.get('/api/rooms', { query: { cursor: cursor || undefined }, signal: scope.signal });
      list.append(...page.items.map((room) => h('li', { class: 'room' },
        h('a', { href: path('rooms', room.name) }, `#${room.name}`), ' ',
        h('span', { class: 'muted' }, count(room.online, 'person', 'people'), ' online',
          room.last_message_at && [' · last message ', timeEl(room.last_message_at)]))));
      next = page.next;
      more.hidden = next == null;
    }
    more.addEventListener('click', () => {
      if (next != null) loadPage(next).catch(reportError);
    });
    await loadPage(null);
    if (list.children.length === 0) list.replaceWith(h('p', { class: 'hint' }, 'No rooms yet: open one by its name above.'));
  },
};

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
      loadPage: (cursor, signal) => api.get(path('api', 'rooms', name, 'messages'), { query: { limit: PAGE_SIZE, cursor }, signal }),
      send: (body, clientId) => ws.send({ type: 'room.message', room: name, body, client_id: clientId }),
      post: (body, clientId) => api.post(path('api', 'rooms', name, 'messages'), { body, client_id: clientId }),
      sendTyping: (active) => ws.send({ type: 'room.typing', room: name, active }),
    });
    scope.add(thread.dispose);
    main.append(h('h1', {}, `#${name}`), h('p', {}, h('a', { href: '/rooms' }, 'All rooms')), thread.el);

    ws.joinRoom(name);
    scope.add(() => ws.leaveRoom(name));
    scope.listen((msg) => {
      switch (msg.type) {
        case 'hello':
          thread.resend();
          break;
        case 'room.message':
          if (msg.message.room === name) thread.add(msg.message);
          break;
        case 'ack':
          thread.ack(msg.client_id, msg.message);
          break;
        case 'error':
          if (msg.client_id) thread.fail(msg.client_id, msg.message);
          break;
        case 'room.joined':
          // Live delivery starts here: fetch what was stored since the history was read.
          if (msg.room === name) thread.catchUp().catch(() => {});
          break;
        case 'room.system':
          if (msg.room === name) thread.system(msg.text);
          break;
        case 'room.typing':
          if (msg.room === name && msg.from.id !== me.id) thread.typing(msg.from, msg.active);
          break;
      }
    });
    await thread.load();
  },
};
