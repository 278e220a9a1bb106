// The feed (/, /latest, /new, /top and the same under /c/{category}; /newest is an old name of /new): the topics
// as one dense list, sorted by
// latest activity (the default), newest or top (within a period), with infinite scroll, the category filter,
// and a "N new posts" banner for posts created since.
import { h, path, count, hiddenText } from '../dom.js';
import { api, ApiError, prefetch } from '../api.js';
import { createPostList, firstPage, withComment } from '../components/postlist.js';
import { reload, navigate } from '../router.js';
import { currentUser } from '../state.js';
import { watchControl, mutedByCategory, categoryLevel } from '../components/marks.js';
import { readingCounts } from './reading.js';
import { categoryDot, fetchCategories } from '../components/categories.js';

// The tabs: each sort's path segment, its label and its sort parameter.
const SORTS = [
  { segment: 'latest', label: 'Latest', sort: 'latest' },
  { segment: 'new', label: 'New', sort: 'new' },
  { segment: 'top', label: 'Top', sort: 'top' },
];
const PERIODS = [['day', 'Today'], ['week', 'This week'], ['month', 'This month'], ['year', 'This year'], ['all', 'All time']];

/** sortOf reads the sort and period of a feed's URL: its last path segment, latest by default. */
function sortOf(pathname, query) {
  const segment = pathname.split('/').pop().replace(/^newest$/, 'new');
  const tab = SORTS.find((s) => s.segment === segment) ?? SORTS[0];
  const period = tab.sort === 'top' && PERIODS.some(([p]) => p === query.get('period')) ? query.get('period') : null;
  return { tab, period };
}

/** feedQuery is the query of a feed's posts, spelt as the server's page preloads it. */
const feedQuery = (category, { tab, period }) => ({ category, sort: tab.sort, period });

function sortTabs(slug, { tab, period }) {
  const base = slug ? path('c', slug) : '';
  const tabs = h('nav', { class: 'sort-tabs', 'aria-label': 'Sort topics' }, h('ul', {}, SORTS.map((s) =>
    h('li', {}, h('a', { href: `${base}/${s.segment}`, id: `sort-${s.segment}`, 'aria-current': s === tab ? 'page' : null }, s.label)))));
  if (tab.sort !== 'top') return tabs;
  const shown = period ?? 'all';
  return [tabs, h('nav', { class: 'period-picker', 'aria-label': 'Top of' }, h('ul', {}, PERIODS.map(([p, label]) =>
    h('li', {}, h('a', { href: `${base}/top?period=${p}`, id: `period-${p}`, 'aria-current': p === shown ? 'page' : null }, label)))))];
}

/**
 * readersPost is a frame's new post as the signed-in reader's lists show it: the frame is everyone's, so the
 * reader's own fields are filled in (unread unless they wrote it, not bookmarked, the watch level its categories
 * or authorship give). An anonymous reader's post is the frame's.
 */
async function readersPost(post) {
  const me = currentUser();
  if (!me) return post;
  const levels = await Promise.all(post.categories.map(categoryLevel));
  const mine = post.author.id === me.id;
  const watch = levels.includes('watching') ? 'watching' : levels.includes('muted') ? 'muted' : mine ? 'watching' : 'normal';
  return { ...post, read: mine, unread_comments: 0, first_unread: null, bookmarked: false, watch };
}

export const feed = {
  name: 'feed',
  prefetch({ category }) {
    prefetch('/api/categories');
    prefetch('/api/posts', firstPage(feedQuery(category, sortOf(location.pathname, new URLSearchParams(location.search)))));
  },
  async mount({ main, params, query, scope, setTitle, restored }) {
    const slug = params.category ?? null;
    if (location.pathname.endsWith('/newest')) {
      // The New tab's old address: the same list under its name now.
      navigate(location.pathname.replace(/newest$/, 'new') + location.search, { replace: true });
      return;
    }
    if (params.sort && !SORTS.some((s) => s.segment === params.sort)) throw new ApiError(404, { code: 'not_found', message: 'No such list' });
    const sorted = sortOf(location.pathname, query);
    const heading = h('h1', {}, 'Topics');
    const categories = h('ul', { class: 'category-list' });
    const banner = h('button', { type: 'button', id: 'new-posts-banner', class: 'banner', hidden: true });
    const posts = createPostList({ id: 'feed', query: feedQuery(slug, sorted), empty: 'No posts yet.' });
    scope.add(posts.dispose);
    main.append(h('div', { class: 'feed-layout' },
      h('nav', { class: 'categories', 'aria-label': 'Categories' }, h('h2', {}, 'Categories'), categories),
      h('section', { class: 'feed-main', 'aria-label': 'Posts' }, h('div', { class: 'feed-head' }, heading, sortTabs(slug, sorted)), banner, posts.el)));

    let [{ items, seq: countedAt }] = await Promise.all([fetchCategories({ signal: scope.signal }), posts.loadMore()]);
    const current = items.find((c) => c.slug === slug);
    if (slug && !current) throw new ApiError(404, { code: 'not_found', message: 'No such category' });
    heading.textContent = current ? current.name : 'Topics';
    setTitle(`${current ? current.name : 'Feed'} · ${sorted.tab.label}`);
    if (slug && currentUser()) {
      // The reader's watch level on this category: its posts can tell them of themselves, or leave their feed.
      const url = path('api', 'categories', slug, 'watch');
      const { level } = await api.get(url, { signal: scope.signal });
      heading.parentElement.append(watchControl({ url, what: 'category', level, id: 'watch-category', category: slug }));
    }
    // Back to this feed: as many pages as were shown when it was left (the router then scrolls).
    for (let i = 1; i < Math.min(restored?.snapshot?.pages ?? 1, 25); i++) await posts.loadMore();

    const badges = new Map(); // slug → its post count
    const link = (href, label, isCurrent, badge, dot) =>
      h('li', {}, h('a', { href, 'aria-current': isCurrent ? 'page' : null }, dot ? h('span', { class: 'cat-name' }, dot, label) : label, badge && ' ', badge));
    const tabPath = sorted.tab === SORTS[0] ? '' : `/${sorted.tab.segment}`;
    // The reader's own lists, with how many posts each holds, read again as frames may change them.
    const reading = currentUser() ? readingCounts(scope, link) : { links: [], later: () => {} };
    categories.append(link(tabPath || '/', 'All posts', !slug), ...reading.links, ...items.map((c) => {
      const badge = h('span', { class: 'count' }, c.post_count);
      badges.set(c.slug, badge);
      return link(path('c', c.slug) + tabPath, c.name, c.slug === slug, [badge, hiddenText(' posts')], categoryDot(c.slug));
    }));

    // The badges count the posts as of countedAt: a frame held while the view loaded may be counted already.
    const countPosts = (msg, delta) => {
      if (typeof countedAt === 'number' && msg.seq <= countedAt) return;
      for (const c of msg.post.categories) {
        const badge = badges.get(c);
        if (badge) badge.textContent = Number(badge.textContent) + delta;
      }
    };

    const waiting = [];
    const showBanner = () => {
      banner.hidden = waiting.length === 0;
      banner.replaceChildren(h('span', { 'aria-hidden': 'true' }, '↑ '), count(waiting.length, 'new post'));
    };
    banner.addEventListener('click', () => {
      const top = posts.prepend(waiting.splice(0));
      showBanner();
      top?.querySelector('a')?.focus();
    });

    scope.listen((msg) => {
      if (['post.created', 'comment.created', 'post.deleted', 'hidden', 'comment.deleted'].includes(msg.type)) reading.later();
      switch (msg.type) {
        case 'post.created': {
          const { post } = msg;
          if (posts.has(post.id) || waiting.some((p) => p.id === post.id)) break;
          countPosts(msg, 1);
          if (slug && !post.categories.includes(slug)) break;
          // On the feed, a post of the categories the reader mutes is not offered (their lists leave it out).
          const muted = !slug && currentUser() ? mutedByCategory(post) : Promise.resolve(false);
          Promise.all([muted, readersPost(post)]).then(([skip, shown]) => {
            if (skip || posts.has(post.id) || waiting.some((p) => p.id === post.id)) return;
            waiting.push(shown);
            showBanner();
          });
          break;
        }
        case 'post.deleted': {
          countPosts(msg, -1);
          posts.remove(msg.post.id);
          const i = waiting.findIndex((p) => p.id === msg.post.id);
          if (i >= 0) {
            waiting.splice(i, 1);
            showBanner();
          }
          break;
        }
        case 'post.edited':
          if (slug && !msg.post.categories.includes(slug)) posts.remove(msg.post.id);
          else posts.replace(msg.post);
          // An edit may move a post between categories, and the frame does not say from where: recount.
          api.get('/api/categories', { signal: scope.signal }).then((fresh) => {
            if (typeof countedAt === 'number' && fresh.seq <= countedAt) return;
            countedAt = fresh.seq;
            for (const c of fresh.items) {
              const badge = badges.get(c.slug);
              if (badge) badge.textContent = c.post_count;
            }
          }, () => {});
          break;
        case 'hidden':
          if (msg.target.kind === 'post') posts.remove(msg.target.id);
          break;
        case 'pinned': {
          // A pin that leads this list puts the post on top; any other shows its badge where it is.
          const { post } = msg;
          const leads = sorted.tab.sort !== 'top' && (post.pinned === 'global' || (post.pinned === 'category' && slug && post.categories.includes(slug)));
          if (leads && !post.hidden && !post.deleted) {
            posts.remove(post.id);
            posts.prepend([post]);
          } else posts.replace(post);
          break;
        }
        case 'purged':
          reload();
          break;
        case 'post.voted':
          posts.update(msg.id, () => ({ likes: msg.likes, dislikes: msg.dislikes }));
          break;
        case 'comment.created': {
          // The comment is the post's latest activity: on the latest list it moves to the top.
          const { comment } = msg;
          posts.update(comment.post_id, (post) => ({
            ...withComment(post, comment), last_activity_at: comment.created_at, last_commenter: comment.author,
            participants: [post.author, comment.author, ...(post.participants ?? []).slice(1).filter((u) => u.id !== comment.author.id)]
              .filter((u, i) => i === 0 || u.id !== post.author.id).slice(0, 5),
          }));
          if (sorted.tab.sort === 'latest') posts.promote(comment.post_id);
          break;
        }
        case 'locked':
          posts.replace(msg.post);
          break;
        case 'comment.deleted':
          posts.update(msg.comment.post_id, (post) => ({ comment_count: post.comment_count - 1 }));
          break;
      }
    });
    return { snapshot: () => ({ pages: posts.pages() }) };
  },
};
