// The reader's own lists: /unread (posts they opened with comments they have not read) and /fresh (posts
// made since they signed up that they never opened), newest first, their counts kept live.
import { h } from '../dom.js';
import { prefetch } from '../api.js';
import { createPostList, firstPage, withComment } from '../components/postlist.js';

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
      scope.listen((msg) => {
        switch (msg.type) {
          case 'comment.created':
            posts.update(msg.comment.post_id, (post) => withComment(post, msg.comment));
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
