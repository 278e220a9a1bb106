// The app's entry point: finds out who is signed in, routes, and opens the WebSocket once the first
// view has its data, from the stream sequence that data was read at.
import { api } from './api.js';
import * as ws from './ws.js';
import { on, currentUser, setCurrentUser } from './state.js';
import { initNotices } from './notices.js';
import { start, reload, prefetch } from './router.js';
import { toast, reportError } from './toast.js';
import { initHeader, markSection } from './header.js';
import { feed } from './views/feed.js';
import { unread, fresh } from './views/reading.js';
import { post } from './views/post.js';
import { newPost, editPost } from './views/editor.js';
import { signin, signup } from './views/auth.js';
import { profile } from './views/profile.js';
import { chat } from './views/chat.js';
import { rooms, room } from './views/rooms.js';
import { notFound } from './views/notfound.js';
import { search } from './views/search.js';
import { settings } from './views/settings.js';
import { bookmarks } from './views/bookmarks.js';
import { modQueue, modLog } from './views/mod.js';
import { navigate } from './router.js';
import './components/lightbox.js';

const ROUTES = [
  ['/', feed],
  ['/latest', feed],
  ['/new', feed],
  ['/newest', feed],
  ['/top', feed],
  ['/c/:category', feed],
  ['/unread', unread],
  ['/fresh', fresh],
  ['/c/:category/:sort', feed],
  ['/posts/:id', post],
  ['/posts/:id/edit', editPost],
  ['/new-topic', newPost],
  ['/signin', signin],
  ['/signup', signup],
  ['/users/:id', profile],
  ['/chat', chat],
  ['/chat/:userId', chat],
  ['/rooms', rooms],
  ['/rooms/:name', room],
  ['/search', search],
  ['/settings', settings],
  ['/bookmarks', bookmarks],
  ['/mod', modQueue],
  ['/mod/log', modLog],
];

// The header's search box goes to the results page without a reload.
document.getElementById('site-search').addEventListener('submit', (event) => {
  event.preventDefault();
  const q = event.target.elements.q.value.trim();
  if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
});

ws.subscribe((msg) => {
  switch (msg.type) {
    case 'hello':
    case 'status':
      // While the server cannot reach its log, writes answer 503: say so once, here.
      document.getElementById('read-only').hidden = !msg.read_only;
      break;
    case 'error':
      toast(msg.message || msg.code, { kind: 'error' });
      break;
    case 'resync':
      reload();
      break;
  }
});

on('me', (user) => {
  if (!user) ws.stop();
});

initHeader();
// The view's data is asked for beside the question of who is signed in, not after it: one round trip less.
prefetch(ROUTES);
try {
  const { user, unread } = await api.get('/api/me');
  setCurrentUser(user);
  initNotices(unread);
} catch (err) {
  initNotices(null);
  if (err.status !== 401) reportError(err);
}

start(ROUTES, {
  notFoundView: notFound,
  onRendered(pathname, seq) {
    markSection(pathname);
    if (currentUser() && !ws.isStarted()) ws.start(seq);
  },
});
