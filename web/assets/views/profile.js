// A user's profile (/users/{id}): nickname, join date, bio, counts, and tabs of their posts and of the posts
// they liked and disliked.
import { h, path, timeEl, avatar } from '../dom.js';
import { api } from '../api.js';
import { currentUser } from '../state.js';
import { reportError, toast } from '../toast.js';
import { createPostList } from '../components/postlist.js';
import { roleBadge, isModerator } from '../components/flag.js';
import { field, onSubmit } from '../forms.js';

const TABS = [
  { key: 'posts', label: 'Posts', param: 'author', empty: 'No posts yet.' },
  { key: 'liked', label: 'Liked', param: 'liked_by', empty: 'No liked posts yet.' },
  { key: 'disliked', label: 'Disliked', param: 'disliked_by', empty: 'No disliked posts yet.' },
];

export const profile = {
  name: 'profile',
  async mount({ main, params, query, scope, setTitle }) {
    const { id } = params;
    // The tab is in the URL (?tab=liked), so it can be shared and survives a reload.
    const first = Math.max(0, TABS.findIndex((t) => t.key === query.get('tab')));
    const panel = h('div', { id: 'profile-panel', class: 'tab-panel', role: 'tabpanel' });
    const tabs = TABS.map((t) => h('button', {
      type: 'button', role: 'tab', id: `tab-${t.key}`, 'aria-controls': panel.id, 'aria-selected': 'false', tabindex: '-1',
    }, t.label));
    const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Posts of this user' }, tabs);
    main.append(tablist, panel);

    let list = null;
    scope.add(() => list?.dispose());
    async function select(index) {
      tabs.forEach((tab, i) => {
        tab.setAttribute('aria-selected', String(i === index));
        tab.tabIndex = i === index ? 0 : -1;
      });
      panel.setAttribute('aria-labelledby', tabs[index].id);
      const url = new URL(location.href);
      if (index === 0) url.searchParams.delete('tab');
      else url.searchParams.set('tab', TABS[index].key);
      if (url.href !== location.href) history.replaceState(history.state, '', url);
      list?.dispose();
      list = createPostList({ query: { [TABS[index].param]: id }, empty: TABS[index].empty });
      panel.replaceChildren(list.el);
      await list.loadMore();
    }
    tabs.forEach((tab, i) => tab.addEventListener('click', () => select(i).catch(reportError)));
    tablist.addEventListener('keydown', (event) => {
      const current = tabs.indexOf(document.activeElement);
      const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: tabs.length - 1 };
      if (current < 0 || !(event.key in moves)) return;
      event.preventDefault();
      const index = (moves[event.key] + tabs.length) % tabs.length;
      tabs[index].focus();
      select(index).catch(reportError);
    });

    const [data] = await Promise.all([api.get(path('api', 'users', id), { signal: scope.signal }), select(first)]);
    const { user } = data;
    const me = currentUser();
    setTitle(user.nickname);
    main.prepend(h('header', { class: 'profile-header' },
      h('h1', { class: 'profile-name' }, avatar(user, { size: 'large' }), user.nickname),
      h('p', { class: 'muted' }, 'Joined ', timeEl(user.created_at, { date: true })),
      // The bio is plain text as typed, its line breaks kept.
      user.bio ? h('p', { class: 'profile-bio', id: 'profile-bio' }, user.bio) : null,
      h('dl', { class: 'stats' },
        h('div', {}, h('dt', {}, 'Posts'), h('dd', {}, data.post_count)),
        h('div', {}, h('dt', {}, 'Comments'), h('dd', {}, data.comment_count))),
      me && me.id !== user.id && h('p', { class: 'form-actions' }, h('a', { href: path('chat', user.id), class: 'button' }, 'Send a message'), blockButton(user)),
      me && me.id !== user.id && isModerator(me) ? modTools(user, me) : null,
      me && me.id === user.id ? h('p', {}, h('a', { href: '/settings' }, 'Your settings: your profile and bio, picture, password, notifications, sessions, blocked users, your data')) : null));
    main.querySelector('.profile-name').append(roleBadge(user) ?? '');
  },
};

// blockButton blocks the user (their posts, comments and room messages leave my lists; their messages
// to me are refused), or unblocks them.
function blockButton(user) {
  const button = h('button', { type: 'button', id: 'block-user', class: 'secondary' }, 'Block');
  let blocked = false;
  const showState = () => { button.textContent = blocked ? 'Unblock' : 'Block'; };
  api.get('/api/me/blocks').then(({ items }) => {
    blocked = items.some((u) => u.id === user.id);
    showState();
  }, () => {});
  button.addEventListener('click', async () => {
    try {
      await (blocked ? api.del(path('api', 'users', user.id, 'block')) : api.put(path('api', 'users', user.id, 'block'), {}));
      blocked = !blocked;
      showState();
    } catch (err) {
      reportError(err);
    }
  });
  return button;
}

const DAYS = [[1, '1 day'], [7, '7 days'], [30, '30 days'], [365, '1 year']];

// modTools are a moderator's controls on a profile: suspend (for a time, with a reason), unsuspend,
// hide everything written since a time; and, for an admin, the user's role.
function modTools(user, me) {
  const suspend = h('form', { id: 'suspend-form', class: 'inline-form' },
    field('Suspend for', 'days', { control: h('select', {}, DAYS.map(([d, label]) => h('option', { value: d }, label))) }),
    field('Reason', 'reason', { required: true, maxlength: '500' }),
    h('button', { type: 'submit', class: 'danger' }, 'Suspend'));
  onSubmit(suspend, async (data) => {
    const until = new Date(Date.now() + Number(data.get('days')) * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await api.post(path('api', 'mod', 'users', user.id, 'suspend'), { until, reason: data.get('reason') });
    toast(`${user.nickname} is suspended.`);
  });
  const purge = h('form', { id: 'purge-form', class: 'inline-form' },
    field('Hide everything written in the last', 'days', { control: h('select', {}, DAYS.map(([d, label]) => h('option', { value: d }, label))) }),
    h('button', { type: 'submit', class: 'danger' }, 'Hide it all'));
  onSubmit(purge, async (data) => {
    const since = new Date(Date.now() - Number(data.get('days')) * 86400_000).toISOString();
    await api.post(path('api', 'mod', 'users', user.id, 'purge'), { since, reason: 'purged from the profile' });
    toast(`Everything ${user.nickname} wrote since then is hidden.`);
  });
  const unsuspend = h('button', { type: 'button', id: 'unsuspend', class: 'secondary' }, 'Unsuspend');
  unsuspend.addEventListener('click', () => api.post(path('api', 'mod', 'users', user.id, 'unsuspend'), {}).then(() => toast(`${user.nickname} may write again.`), reportError));
  let role = null;
  if (me.role === 'admin') {
    const select = h('select', { id: 'role-select' }, ['member', 'moderator', 'admin'].map((r) => h('option', { value: r }, r)));
    select.value = user.role || 'member';
    select.addEventListener('change', () => api.put(path('api', 'users', user.id, 'role'), { role: select.value }).then(() => toast(`${user.nickname} is now ${select.value === 'admin' ? 'an' : 'a'} ${select.value}.`), reportError));
    role = h('p', {}, h('label', { for: select.id }, 'Role '), select);
  }
  return h('details', { class: 'mod-tools' }, h('summary', {}, 'Moderation'), role, suspend, unsuspend, purge);
}
