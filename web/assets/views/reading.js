// The reader's own lists: /unread (posts they opened with comments they have not read) and /fresh (posts
// made since they signed up that they never opened), newest first, their counts kept live, and a post that
// comes to belong to the list (a comment on a post read up to date, a new post) added on top as it comes.
import { h, path } from '../dom.js';
import { api, prefetch } from '../api.js';
import { createPostList, firstPage, withComment, isNew } from '../components/postlist.js';
import { currentUser } from '../state.js';

/** belongs says a post as the reader sees it now belongs to the list filter: unread or new. */
const belongs = (filter, post) => post.watch !== 'muted' && !post.hidden && !post.deleted &&
  (filter === 'unread' ? post.read === true && post.unread_comments > 0 : isNew(post));

function readingView(name, filter, title, intro, empty) {
  return {
    name,
    auth: true,
    prefetch() {
      prefetch('/api/posts', firstPage({ filter }));
    },
    async mount({ main, scope, setTitle }) {
      setTitle(title);
      const posts = createPostList({ id: `${name}-posts`, query: { filter }, empty });
      scope.add(posts.dispose);
      main.append(h('section', { class: 'feed-main reading-list', 'aria-labelledby': `${name}-heading` },
        h('h1', { id: `${name}-heading` }, title), h('p', { class: 'hint' }, intro), posts.el));
      await posts.loadMore();
      // A post not listed may come to belong: read it as the reader sees it (reading it marks nothing read).
      const consider = (postId) => {
        api.get(path('api', 'posts', postId), { signal: scope.signal }).then(({ post }) => {
          if (!posts.has(post.id) && belongs(filter, post)) posts.prepend([post]);
        }, () => {});
      };
      scope.listen((msg) => {
        switch (msg.type) {
          case 'comment.created':
            if (posts.has(msg.comment.post_id)) posts.update(msg.comment.post_id, (post) => withComment(post, msg.comment));
            else if (filter === 'unread' && msg.comment.author.id !== currentUser()?.id) consider(msg.comment.post_id);
            break;
          case 'post.created':
            if (filter === 'new' && msg.post.author.id !== currentUser()?.id) consider(msg.post.id);
            break;
          case 'post.deleted':
            posts.remove(msg.post.id);
            break;
          case 'hidden':
            if (msg.target.kind === 'post') posts.remove(msg.target.id);
            break;
        }
      });
    },
  };
}

export const unread = readingView('unread', 'unread', 'Unread',
  'Posts you have opened with comments you have not read yet.', 'Nothing unread: you are all caught up.');
export const fresh = readingView('fresh', 'new', 'New to you',
  'Posts written since you joined that you have not opened yet.', 'No new posts for you.');

const COUNTED = 20; // a list's count is of its first page: "20+" past it

/**
 * readingCounts returns the links to the reader's Unread and New to you lists with how many posts each holds
 * ("20+" past a page), read again at most every 5 seconds as frames come that may change them.
 */
export function readingCounts(scope, link) {
  const badges = {};
  const links = [['unread', '/unread', 'Unread'], ['new', '/fresh', 'New to you']].map(([filter, href, label]) => {
    badges[filter] = h('span', { class: 'count reading-count', id: `${filter}-count`, hidden: true });
    return link(href, label, false, badges[filter]);
  });
  const load = () => Promise.all(Object.entries(badges).map(([filter, badge]) =>
    api.get('/api/posts', { query: { filter, limit: COUNTED }, signal: scope.signal }).then((page) => {
      const n = page.items.length;
      badge.textContent = page.next ? `${n}+` : String(n);
      badge.hidden = n === 0;
    }, () => {})));
  let timer = null;
  scope.add(() => clearTimeout(timer));
  const later = () => {
    timer ??= setTimeout(() => {
      timer = null;
      load();
    }, 5000);
  };
  load();
  return { links, later };
}
