// Direct messages (/chat, /chat/{userId}): the contacts sidebar and the open conversation. Moving
// between conversations keeps the sidebar; only the conversation is replaced.
import { h, path, userLink } from '../dom.js';
import { api } from '../api.js';
import * as ws from '../ws.js';
import { currentUser, setOpenChat, isConversationVisible } from '../state.js';
import { reportError } from '../toast.js';
import { createContacts } from '../components/contacts.js';
import { createThread } from '../components/thread.js';

const PAGE_SIZE = 10;

// createConversation is the conversation with peerId: {el, load, handle(frame), dispose}. While it is
// open and the tab visible, what it shows is marked read.
function createConversation(peerId, { contacts, setTitle }) {
  const me = currentUser();
  const controller = new AbortController();
  const heading = h('h2', { class: 'conversation-title' }, 'Chat');
  const thread = createThread({
    listId: 'messages',
    formId: 'message-form',
    label: 'Messages',
    loadPage: (cursor, signal) => api.get(path('api', 'chats', peerId, 'messages'), { query: { limit: PAGE_SIZE, cursor }, signal }),
    send: (body, clientId) => ws.send({ type: 'dm', to: peerId, body, client_id: clientId }),
    post: (body, clientId) => api.post(path('api', 'chats', peerId, 'messages'), { body, client_id: clientId }),
    sendTyping: (active) => ws.send({ type: 'typing', to: peerId, active }),
    draftKey: `dm.${peerId}`,
    outboxKey: `dm.${peerId}`,
  });

  let lastRead = null;
  function markRead() {
    const upTo = thread.newestId();
    if (!upTo || upTo === lastRead || !isConversationVisible(peerId)) return;
    lastRead = upTo;
    contacts.clearUnread(peerId);
    api.post(path('api', 'chats', peerId, 'read'), { up_to: upTo }).catch(reportError);
  }
  document.addEventListener('visibilitychange', markRead);
  setOpenChat(peerId);

  return {
    el: h('div', { class: 'conversation-inner' }, heading, thread.el),
    async load() {
      const [{ user }] = await Promise.all([api.get(path('api', 'users', peerId), { signal: controller.signal }), thread.load()]);
      heading.replaceChildren('Chat with ', userLink(user));
      setTitle(`Chat with ${user.nickname}`);
      markRead();
    },
    handle(msg) {
      switch (msg.type) {
        case 'hello':
          thread.resend();
          break;
        case 'dm': {
          const { from, to } = msg.message;
          if ((from.id === me.id ? to?.id : from.id) !== peerId) break;
          thread.add(msg.message);
          markRead();
          break;
        }
        case 'hidden':
          if (msg.target.kind === 'message') thread.hide(msg.target.id);
          break;
        case 'reaction':
          thread.reaction(msg);
          break;
        case 'ack':
          thread.ack(msg.client_id, msg.message);
          break;
        case 'error':
          if (msg.client_id) thread.fail(msg.client_id, msg.message);
          break;
        case 'typing':
          if (msg.from.id === peerId) thread.typing(msg.from, msg.active);
          break;
      }
    },
    dispose() {
      controller.abort();
      thread.dispose();
      document.removeEventListener('visibilitychange', markRead);
      setOpenChat(null);
    },
  };
}

export const chat = {
  name: 'chat',
  auth: true,
  async mount({ main, params, scope, setTitle }) {
    const contacts = createContacts();
    const toggle = h('button', {
      type: 'button', id: 'sidebar-toggle', class: 'sidebar-toggle', 'aria-controls': 'contacts-panel', 'aria-expanded': 'false',
    }, 'Contacts');
    const pane = h('section', { class: 'conversation', 'aria-label': 'Conversation' });
    // On narrow screens the sidebar shows only when expanded (CSS); on wide ones it always shows.
    const setSidebar = (open) => {
      toggle.setAttribute('aria-expanded', String(open));
      contacts.el.classList.toggle('open', open);
    };
    toggle.addEventListener('click', () => setSidebar(toggle.getAttribute('aria-expanded') !== 'true'));
    main.append(h('h1', { class: 'visually-hidden' }, 'Chat'), toggle, h('div', { class: 'chat-layout' }, contacts.el, pane));

    let conversation = null;
    scope.add(() => conversation?.dispose());
    function open(userId) {
      conversation?.dispose();
      conversation = null;
      contacts.setActive(userId ?? null);
      setSidebar(!userId);
      if (!userId) {
        setTitle('Chat');
        pane.replaceChildren(h('p', { class: 'hint' }, 'Choose a contact to start a conversation.'));
        return Promise.resolve();
      }
      conversation = createConversation(userId, { contacts, setTitle });
      pane.replaceChildren(conversation.el);
      return conversation.load();
    }

    scope.listen((msg) => {
      switch (msg.type) {
        case 'hello':
          contacts.setOnlineUsers(msg.online);
          break;
        case 'presence':
          contacts.setOnline(msg.user, msg.online);
          break;
        case 'dm':
          contacts.noteMessage(msg.message);
          break;
        case 'read': // I read this conversation, maybe in another tab
          contacts.clearUnread(msg.peer);
          break;
      }
      conversation?.handle(msg);
    });

    await Promise.all([contacts.load(scope.signal), open(params.userId)]);
    return { update: (next) => open(next.userId).catch(reportError) };
  },
};
