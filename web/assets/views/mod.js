// Moderation (/mod, moderators only): the queue of open flags, each item as it was when flagged (from
// the log) and as it is now, resolved by Hide or Dismiss; and the log of every moderator's action (/mod/log).
import { h, path, timeEl } from '../dom.js';
import { api, ApiError } from '../api.js';
import { currentUser } from '../state.js';
import { richText } from '../richtext.js';
import { reportError } from '../toast.js';
import { isModerator } from '../components/flag.js';

function requireModerator() {
  if (!isModerator(currentUser())) throw new ApiError(404, { code: 'not_found', message: 'No such page' });
}

const tabs = (current) => h('nav', { class: 'tabs', 'aria-label': 'Moderation' },
  h('a', { href: '/mod', 'aria-current': current === 'queue' ? 'page' : null }, 'Queue'),
  h('a', { href: '/mod/log', 'aria-current': current === 'log' ? 'page' : null }, 'Log'));

function targetLink(t, now) {
  if (t.kind === 'post') return h('a', { href: path('posts', t.id) }, 'post');
  if (t.kind === 'comment' && now?.post_id) return h('a', { href: `${path('posts', now.post_id)}#comment-${t.id}` }, 'comment');
  return h('span', {}, t.kind);
}

function version(label, v) {
  if (!v) return h('div', { class: 'flag-version' }, h('h3', {}, label), h('p', { class: 'hint' }, 'Not readable (erased, or gone).'));
  return h('div', { class: 'flag-version' }, h('h3', {}, label), v.title ? h('p', { class: 'revision-title' }, v.title) : null,
    richText('div', 'flag-body', v.body_html ?? ''));
}

export const modQueue = {
  name: 'mod',
  auth: true,
  async mount({ main, scope, setTitle }) {
    requireModerator();
    setTitle('Moderation');
    const list = h('ol', { id: 'flag-queue', class: 'flag-queue' });
    main.append(h('h1', {}, 'Moderation'), tabs('queue'), h('h2', {}, 'Open flags'), list);
    const { items } = await api.get('/api/mod/flags', { query: { status: 'open', limit: 50 }, signal: scope.signal });
    if (items.length === 0) list.replaceWith(h('p', { class: 'hint', id: 'flag-queue-empty' }, 'Nothing to review.'));
    for (const f of items) {
      const resolve = async (action) => {
        try {
          await api.post(path('api', 'mod', 'flags', f.id, 'resolve'), { action });
          li.remove();
        } catch (err) {
          reportError(err);
        }
      };
      const li = h('li', { class: 'flag-item', 'data-id': f.id },
        h('p', { class: 'flag-meta' }, 'A ', targetLink(f.target, f.now), ' flagged by ', f.by.nickname, ' · ', timeEl(f.created_at), ': ', h('strong', {}, f.reason)),
        h('div', { class: 'flag-versions' }, version('When flagged', f.then), version('Now', f.now)),
        h('div', { class: 'form-actions' },
          h('button', { type: 'button', class: 'danger flag-hide', onclick: () => resolve('hide') }, 'Hide'),
          h('button', { type: 'button', class: 'flag-dismiss', onclick: () => resolve('dismiss') }, 'Dismiss')));
      list.append(li);
    }
  },
};

export const modLog = {
  name: 'modlog',
  auth: true,
  async mount({ main, scope, setTitle }) {
    requireModerator();
    setTitle('Moderation log');
    const list = h('ol', { id: 'mod-log', class: 'mod-log' });
    main.append(h('h1', {}, 'Moderation'), tabs('log'), h('h2', {}, 'Every action, newest first'), list);
    const { items } = await api.get('/api/mod/log', { query: { limit: 100 }, signal: scope.signal });
    if (items.length === 0) list.replaceWith(h('p', { class: 'hint' }, 'No action yet.'));
    list.append(...items.map((a) => h('li', { class: 'mod-action', 'data-action': a.action },
      timeEl(a.created_at), ' · ', h('strong', {}, a.by.nickname), ' ', h('span', { class: 'mod-verb' }, a.action), ' ',
      a.target.kind === 'user' ? h('a', { href: path('users', a.target.id) }, 'a user') : targetLink(a.target, null),
      a.reason ? [' — ', a.reason] : null)));
  },
};
