// A user's profile (/users/{id}): nickname, join date, counts, and tabs of their posts and of the posts
// they liked and disliked.
import { h, path, timeEl, avatar } from '../dom.js';
import { api } from '../api.js';
import { currentUser } from '../state.js';
import { reportError } from '../toast.js';
import { createPostList } from '../components/postlist.js';

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
      h('dl', { class: 'stats' },
        h('div', {}, h('dt', {}, 'Posts'), h('dd', {}, data.post_count)),
        h('div', {}, h('dt', {}, 'Comments'), h('dd', {}, data.comment_count))),
      me && me.id !== user.id && h('p', {}, h('a', { href: path('chat', user.id), class: 'button' }, 'Send a message'))));
  },
};
