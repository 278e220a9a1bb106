// What the signed-in user has not seen: the bell in the header (notifications of mentions and replies,
// with their list), the unread count on the Chat link, the count in the tab's title, toasts that lead to
// what they announce, and, when asked for with a click, desktop notifications while the tab is hidden.
import { h, path, excerpt, plainText, timeEl, hiddenText } from './dom.js';
import { api } from './api.js';
import * as ws from './ws.js';
import { on, currentUser, isConversationVisible } from './state.js';
import { toast, reportError } from './toast.js';
import { setUnreadCount } from './title.js';

const PAGE = 20;
const DESKTOP_KEY = 'forum.desktop-notifications';

let counts = { notifications: 0, dms: 0 };
let panel = null; // the open list, or null

/** hrefOf is where a notification leads. */
export function hrefOf(n) {
  if (n.room) return path('rooms', n.room);
  if (n.comment_id) return `${path('posts', n.post_id)}#comment-${n.comment_id}`;
  return path('posts', n.post_id);
}

/** describe is a notification as one sentence. */
export function describe(n) {
  const who = n.actor.nickname;
  if (n.kind === 'reply') return `${who} replied to you: ${excerpt(n.excerpt, 80)}`;
  if (n.kind === 'comment') return `${who} commented on a post you watch: ${excerpt(n.excerpt, 80)}`;
  if (n.kind === 'topic') return `${who} posted in a category you watch: ${excerpt(n.excerpt, 80)}`;
  const where = n.room ? `#${n.room}` : n.comment_id ? 'a comment' : 'a post';
  return `${who} mentioned you in ${where}: ${excerpt(n.excerpt, 80)}`;
}

function desktopWanted() {
  return 'Notification' in globalThis && Notification.permission === 'granted' && localStorage.getItem(DESKTOP_KEY) === 'on';
}

// announce tells of something new: a toast that leads there, and a desktop notification when the tab is hidden.
function announce(text, href, tag) {
  toast(text, { href });
  if (document.visibilityState === 'visible' || !desktopWanted()) return;
  try {
    const n = new Notification('Forum', { body: text, tag });
    n.addEventListener('click', () => {
      focus();
      history.pushState(null, '', href);
      dispatchEvent(new PopStateEvent('popstate'));
      n.close();
    });
  } catch {
    // Some browsers only show notifications from a service worker: the toast is enough.
  }
}

function render() {
  const bell = document.getElementById('bell');
  if (bell) {
    const n = counts.notifications;
    bell.querySelector('.unread').textContent = n > 99 ? '99+' : String(n);
    bell.querySelector('.unread').hidden = n === 0;
    bell.setAttribute('aria-label', n ? `Notifications, ${n} unread` : 'Notifications');
  }
  const chat = document.querySelector('.site-nav a[href="/chat"]');
  if (chat) {
    let badge = chat.querySelector('.unread');
    if (!badge) {
      badge = h('span', { class: 'unread', 'aria-hidden': 'true' });
      chat.append(' ', badge, hiddenText(''));
    }
    badge.textContent = counts.dms > 99 ? '99+' : String(counts.dms);
    badge.hidden = counts.dms === 0;
    chat.querySelector('.visually-hidden').textContent = counts.dms ? `, ${counts.dms} unread` : '';
  }
  setUnreadCount(currentUser() ? counts.notifications + counts.dms : 0);
}

function setCounts(next) {
  counts = { notifications: next?.notifications ?? 0, dms: next?.dms ?? 0 };
  render();
}

/**
 * refresh asks the server for the unread counts. Frames come after their commit, so the answer holds what they
 * announce; only the answer to the latest question counts (an older one may arrive last).
 */
let asked = 0;
async function refresh() {
  if (!currentUser()) return;
  const n = ++asked;
  try {
    const { unread } = await api.get('/api/me');
    if (n === asked) setCounts(unread);
  } catch (err) {
    if (err.status !== 401) reportError(err);
  }
}

function itemEl(n) {
  return h('li', { class: n.read ? 'notice' : 'notice unread-notice', 'data-id': n.id },
    h('a', { href: hrefOf(n) }, describe(n)), ' ', timeEl(n.created_at));
}

// openPanel shows the newest notifications under the bell and marks them read.
async function openPanel(bell) {
  const list = h('ol', { class: 'notice-list' });
  const more = h('button', { type: 'button', class: 'link-button', hidden: true }, 'Older');
  const desktop = h('button', { type: 'button', class: 'link-button', id: 'desktop-notifications' });
  const el = h('section', { id: 'notifications-panel', class: 'notice-panel', 'aria-labelledby': 'notifications-heading' },
    h('h2', { id: 'notifications-heading' }, 'Notifications'), list, more, desktop);
  panel = { el, list, bell };
  bell.setAttribute('aria-expanded', 'true');
  bell.after(el);

  const showDesktop = () => {
    const supported = 'Notification' in globalThis;
    desktop.hidden = !supported || Notification.permission === 'denied';
    desktop.textContent = desktopWanted() ? 'Turn off desktop notifications' : 'Turn on desktop notifications';
  };
  desktop.addEventListener('click', async () => {
    if (desktopWanted()) localStorage.setItem(DESKTOP_KEY, 'off');
    else if ((await Notification.requestPermission()) === 'granted') localStorage.setItem(DESKTOP_KEY, 'on');
    showDesktop();
  });
  showDesktop();

  let next = null;
  const load = async (cursor) => {
    const page = await api.get('/api/notifications', { query: { limit: PAGE, cursor } });
    list.append(...page.items.map(itemEl));
    next = page.next;
    more.hidden = next == null;
    return page;
  };
  more.addEventListener('click', () => load(next).catch(reportError));
  try {
    const page = await load(undefined);
    if (page.items.length === 0) list.replaceWith(h('p', { class: 'hint' }, 'Nothing yet. When someone mentions you, comments on your post or on a post you watch, it shows here.'));
    const newest = page.items[0];
    if (newest && !newest.read) {
      await api.post('/api/notifications/read', { up_to: newest.id });
      setCounts({ ...counts, notifications: 0 });
    }
  } catch (err) {
    reportError(err);
  }
}

function closePanel({ restoreFocus = false } = {}) {
  if (!panel) return;
  panel.el.remove();
  panel.bell.setAttribute('aria-expanded', 'false');
  if (restoreFocus) panel.bell.focus();
  panel = null;
}

const SVG = 'http://www.w3.org/2000/svg';

// bellIcon is a bell drawn in SVG (no icon font or emoji needed).
function bellIcon() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const bell = document.createElementNS(SVG, 'path');
  bell.setAttribute('d', 'M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0');
  bell.setAttribute('fill', 'none');
  bell.setAttribute('stroke', 'currentColor');
  bell.setAttribute('stroke-width', '2');
  bell.setAttribute('stroke-linejoin', 'round');
  svg.append(bell);
  return svg;
}

/** bellButton is the header's bell, shown for a signed-in user. */
export function bellButton() {
  const bell = h('button', { type: 'button', id: 'bell', class: 'bell', 'aria-expanded': 'false', 'aria-controls': 'notifications-panel', 'aria-label': 'Notifications' },
    bellIcon(), h('span', { class: 'unread', 'aria-hidden': 'true', hidden: true }, '0'));
  bell.addEventListener('click', () => (panel ? closePanel() : openPanel(bell)));
  queueMicrotask(render);
  return h('div', { class: 'notices' }, bell);
}

/** initNotices starts counting from the unread counts /api/me gave. */
export function initNotices(unread) {
  setCounts(unread);
  on('me', (user) => {
    closePanel();
    if (user) refresh();
    else setCounts(null);
  });
  document.addEventListener('click', (event) => {
    if (panel && !event.target.closest('.notices')) closePanel();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && panel) closePanel({ restoreFocus: true });
  });
  ws.subscribe((msg) => {
    const me = currentUser();
    if (!me) return;
    switch (msg.type) {
      case 'hello':
      case 'notifications.read':
      case 'read':
        refresh();
        break;
      case 'notification': {
        const n = msg.notification;
        setCounts({ ...counts, notifications: counts.notifications + 1 });
        refresh();
        panel?.list.prepend(itemEl(n));
        announce(describe(n), hrefOf(n), `n-${n.id}`);
        break;
      }
      case 'dm': {
        const m = msg.message;
        if (m.from.id === me.id || isConversationVisible(m.from.id)) break;
        setCounts({ ...counts, dms: counts.dms + 1 });
        refresh();
        announce(`${m.from.nickname}: ${excerpt(plainText(m.body), 80)}`, path('chat', m.from.id), `dm-${m.from.id}`);
        break;
      }
    }
  });
}
