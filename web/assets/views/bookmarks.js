// The reader's bookmarks (/bookmarks): the posts they bookmarked, the newest bookmark first, paged like the feed.
// Taking a bookmark away leaves the post shown (pressed no longer) until the page is read again.
import { h } from '../dom.js';
import { prefetch } from '../api.js';
import { createPostList, firstPage } from '../components/postlist.js';

const URL = '/api/me/bookmarks';

export const bookmarks = {
  name: 'bookmarks',
  auth: true,
  prefetch() {
    prefetch(URL, firstPage({}));
  },
  async mount({ main, scope, setTitle }) {
    setTitle('Bookmarks');
    const posts = createPostList({ id: 'bookmarks', query: {}, url: URL, empty: 'No bookmarks yet. Bookmark a post to find it here.' });
    scope.add(posts.dispose);
    main.append(h('section', { class: 'feed-main', 'aria-labelledby': 'bookmarks-heading' },
      h('h1', { id: 'bookmarks-heading' }, 'Bookmarks'), posts.el));
    await posts.loadMore();
    scope.listen((msg) => {
      switch (msg.type) {
        case 'post.deleted':
          posts.remove(msg.post.id);
          break;
        case 'hidden':
          if (msg.target.kind === 'post') posts.remove(msg.target.id);
          break;
        case 'post.edited':
          posts.replace(msg.post);
          break;
        case 'post.voted':
          posts.update(msg.id, () => ({ likes: msg.likes, dislikes: msg.dislikes }));
          break;
      }
    });
  },
};
