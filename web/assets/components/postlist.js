// A list of post cards from GET /api/posts, newest first, paged by cursor: the next page loads when the
// "Load more" button at its end scrolls into view (or is pressed).
import { h, path, userLink, timeEl, count, avatar, REMOVED } from '../dom.js';
import { api } from '../api.js';
import { reportError } from '../toast.js';
import { bookmarkButton } from './marks.js';
import { currentUser } from '../state.js';

const PAGE_SIZE = 20;

/** firstPage is the query of a list's first page, for prefetching it. */
export const firstPage = (query) => ({ ...query, limit: PAGE_SIZE });

function stats(post) {
  return [
    h('span', { class: 'likes' }, count(post.likes, 'like')),
    h('span', { class: 'dislikes' }, count(post.dislikes, 'dislike')),
    h('span', { class: 'comment-count' }, count(post.comment_count, 'comment')),
    post.view_count != null && h('span', { class: 'view-count' }, count(post.view_count, 'view')),
  ];
}

/**
 * isNew says a signed-in reader never opened post, made since they signed up (what the New view lists);
 * their own posts count as opened.
 */
export const isNew = (post) => {
  const me = currentUser();
  return Boolean(me && post.read === false && !post.deleted && post.created_at > me.created_at);
};

/**
 * withComment is the change a new comment makes to a shown post: one more comment, and one more unread for
 * a signed-in reader who opened the post and did not write it (comments of users they block never come).
 */
export function withComment(post, comment) {
  const me = currentUser();
  const change = { comment_count: post.comment_count + 1 };
  if (me && post.read && comment.author.id !== me.id) {
    change.unread_comments = (post.unread_comments ?? 0) + 1;
    change.first_unread = post.first_unread ?? comment.id;
  }
  return change;
}

/** readMarks are the card's "New" badge or its count of unread comments, linking to the first of them. */
function readMarks(post) {
  if (isNew(post)) return h('span', { class: 'new-badge' }, 'New');
  if (!post.read || !(post.unread_comments > 0)) return null;
  const href = path('posts', post.id) + (post.first_unread ? `?comment=${encodeURIComponent(post.first_unread)}` : '');
  return h('a', { class: 'unread-badge', href }, count(post.unread_comments, 'unread comment'));
}

/** postCard is an article.post-card[data-id] with the title, author, categories, time, a "Pinned" badge, read marks and counts. */
function postCard(post) {
  return h('article', { class: 'post-card', 'data-id': post.id },
    h('h2', { class: 'post-card-title' }, h('a', { href: path('posts', post.id) }, post.deleted ? REMOVED : post.title),
      h('span', { class: 'read-marks' }, readMarks(post))),
    h('p', { class: 'post-meta' }, avatar(post.author), 'by ', userLink(post.author), ' · ', timeEl(post.created_at),
      post.pinned && [' · ', h('span', { class: 'pinned-badge' }, 'Pinned')]),
    h('ul', { class: 'tags', 'aria-label': 'Categories' },
      post.categories.map((slug) => h('li', {}, h('a', { href: path('c', slug) }, slug)))),
    h('p', { class: 'post-stats' }, stats(post)),
    // A signed-in reader's posts say whether they bookmarked each (an anonymous reader's have no such field).
    post.bookmarked !== undefined && !post.deleted && bookmarkButton(post, { onChange: (on) => { post.bookmarked = on; } }));
}

/**
 * createPostList returns {el, loadMore, has, prepend, update, replace, remove, dispose}. query: the filter parameters of
 * GET url (default /api/posts); id: the list element's id. loadMore rejects on failure (the first page's error is the
 * view's), later pages triggered by scrolling report theirs.
 */
export function createPostList({ id, query, empty, url = '/api/posts' }) {
  const controller = new AbortController();
  const cards = new Map();
  const list = h('div', { id, class: 'post-list' });
  const status = h('p', { class: 'list-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'load-more', hidden: true }, 'Load more posts');
  let next = null;
  let done = false;
  let loading = false;
  let pagesLoaded = 0;

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore().catch(reportError);
  }, { rootMargin: '300px' });
  more.addEventListener('click', () => loadMore().catch(reportError));

  function add(post, where) {
    const entry = { post, el: postCard(post) };
    cards.set(post.id, entry);
    list[where](entry.el);
    return entry.el;
  }

  async function loadMore() {
    if (loading || done) return;
    loading = true;
    status.textContent = 'Loading…';
    try {
      const page = await api.get(url, { query: { ...query, limit: PAGE_SIZE, cursor: next }, signal: controller.signal });
      for (const post of page.items) if (!cards.has(post.id)) add(post, 'append');
      next = page.next ?? null;
      done = next == null;
      pagesLoaded++;
    } finally {
      loading = false;
      more.hidden = done;
      status.textContent = cards.size === 0 ? empty : '';
    }
    // Observe afresh: the observer reports again whether the button is still in view after this page.
    observer.unobserve(more);
    if (!done) observer.observe(more);
  }

  return {
    el: h('div', { class: 'post-list-wrap' }, list, status, more),
    loadMore,
    /** pages is how many pages are shown. */
    pages: () => pagesLoaded,
    has: (postId) => cards.has(postId),
    /** prepend puts posts (oldest first) on top, the newest first; it returns the topmost card. */
    prepend(posts) {
      for (const post of posts) if (!cards.has(post.id)) add(post, 'prepend');
      status.textContent = cards.size === 0 ? empty : '';
      return list.firstElementChild;
    },
    /** update changes counts (likes, dislikes, comment_count, unread_comments) of a shown post: change(post) returns them. */
    update(postId, change) {
      const entry = cards.get(postId);
      if (!entry) return;
      Object.assign(entry.post, change(entry.post));
      entry.el.querySelector('.post-stats').replaceChildren(...stats(entry.post).filter(Boolean));
      entry.el.querySelector('.read-marks').replaceChildren(...[readMarks(entry.post)].filter(Boolean));
    },
    /** replace shows the new version of an edited post in place, if it is shown. */
    replace(post) {
      const entry = cards.get(post.id);
      if (!entry) return;
      // A frame's post is everyone's: the reader's own marks shown so far carry over.
      if (post.bookmarked === undefined && entry.post.bookmarked !== undefined) {
        post = { ...post, bookmarked: entry.post.bookmarked, watch: entry.post.watch };
      }
      const el = postCard(post);
      entry.el.replaceWith(el);
      Object.assign(entry, { post, el });
    },
    /** remove takes a deleted post off the list. */
    remove(postId) {
      cards.get(postId)?.el.remove();
      cards.delete(postId);
      status.textContent = cards.size === 0 ? empty : '';
    },
    dispose() {
      controller.abort();
      observer.disconnect();
    },
  };
}
