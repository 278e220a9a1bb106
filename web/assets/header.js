// The site header: who is signed in (or the links to sign in and up), the connection state, and the
// navigation link of the current section marked.
import { h, path } from './dom.js';
import { api } from './api.js';
import { on, currentUser, setCurrentUser, connState } from './state.js';
import { navigate } from './router.js';
import { reportError } from './toast.js';
import { bellButton } from './notices.js';
import { isModerator } from './components/flag.js';
import { menuButton } from './components/menu.js';

const CONN_TEXT = { live: 'live', connecting: 'connecting…', offline: 'offline' };

async function signOut() {
  try {
    await api.post('/api/signout', {});
  } catch (err) {
    if (err.status !== 401) {
      reportError(err);
      return;
    }
  }
  setCurrentUser(null);
  navigate('/');
}

function renderAccount(user) {
  const account = document.getElementById('account');
  if (!user) {
    account.replaceChildren(h('a', { href: '/signin' }, 'Sign in'), h('a', { href: '/signup', class: 'button' }, 'Sign up'));
    return;
  }
  const button = h('button', { type: 'button', id: 'signout' }, 'Sign out');
  button.addEventListener('click', signOut);
  // On a phone the links to the reader's own pages are in one menu, so the search box keeps its width.
  const mine = menuButton({
    cls: 'account-menu', title: 'Your account', label: h('span', { 'aria-hidden': 'true' }, '☰'),
    items: [{ label: 'Your profile', onSelect: () => navigate(path('users', user.id)) },
      { label: 'Bookmarks', onSelect: () => navigate('/bookmarks') },
      { label: 'Settings', onSelect: () => navigate('/settings') },
      isModerator(user) && { label: 'Moderation', onSelect: () => navigate('/mod') }],
  });
  account.replaceChildren(...[bellButton(),
    isModerator(user) && h('a', { href: '/mod', class: 'mod-link' }, 'Moderation'),
    h('a', { href: path('users', user.id), class: 'me' }, user.nickname),
    h('a', { href: '/bookmarks', class: 'bookmarks-link' }, 'Bookmarks'),
    h('a', { href: '/settings', class: 'settings-link' }, 'Settings'), mine.el, button].filter(Boolean));
}

// The reconnecting banner shows once a live connection has been lost for a moment (not while the first
// one opens), and goes as soon as it is live again.
const BANNER_AFTER_MS = 1500;
let wasLive = false;
let bannerTimer = null;

function renderBanner(state) {
  const banner = document.getElementById('reconnecting');
  clearTimeout(bannerTimer);
  if (state === 'live') {
    wasLive = true;
    banner.hidden = true;
    return;
  }
  if (!currentUser()) {
    wasLive = false;
    banner.hidden = true;
    return;
  }
  if (wasLive) bannerTimer = setTimeout(() => { banner.hidden = connState() === 'live'; }, BANNER_AFTER_MS);
}

function renderConn(state) {
  renderBanner(state);
  const el = document.getElementById('conn-state');
  el.dataset.state = state;
  // Live updates need an account: a reader who is not signed in is not "offline".
  const text = !currentUser() && state === 'offline' ? 'sign in for live updates' : CONN_TEXT[state];
  el.textContent = text;
}

/** initHeader keeps the header in step with the signed-in user and the connection. */
export function initHeader() {
  on('me', (user) => {
    renderAccount(user);
    renderConn(connState());
  });
  on('conn', renderConn);
  renderAccount(currentUser());
  renderConn(connState());
}

/** markSection marks the navigation link of the section pathname belongs to with aria-current. */
export function markSection(pathname) {
  for (const link of document.querySelectorAll('.site-nav a')) {
    const href = link.getAttribute('href');
    const here = href === '/' ? pathname === '/' || pathname.startsWith('/c/') || ['/latest', '/new', '/newest', '/top'].includes(pathname) : pathname === href || pathname.startsWith(`${href}/`);
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}
