// A list of topics from GET /api/posts, one dense row each (title, category, participants, replies, views,
// last activity), paged by cursor: the next page loads when the "Load more" button at its end scrolls into
// view (or is pressed).
import { h, path, userLink, timeEl, count, avatar, hiddenText, excerpt, plainText, REMOVED } from '../dom.js';
import { api } from '../api.js';
import { reportError } from '../toast.js';
import { bookmarkButton } from './marks.js';
import { currentUser } from '../state.js';
import { categoryLink, loadCategories } from './categories.js';

const PAGE_SIZE = 20;

/** firstPage is the query of a list's first page, for prefetching it. */
export const firstPage = (query) => ({ ...query, limit: PAGE_SIZE });

function stats(post) {
  return [
    h('span', { class: 'comment-count', title: count(post.comment_count, 'reply', 'replies') },
      h('span', { class: 'num' }, post.comment_count), h('span', { class: 'unit' }, post.comment_count === 1 ? ' comment' : ' comments')),
    post.view_count != null && h('span', { class: 'view-count' },
      h('span', { class: 'num' }, post.view_count), h('span', { class: 'unit' }, post.view_count === 1 ? ' view' : ' views')),
    h('span', { class: 'likes' }, h('span', { class: 'num' }, post.likes), h('span', { class: 'unit' }, post.likes === 1 ? ' like' : ' likes')),
    h('span', { class: 'dislikes visually-hidden' }, count(post.dislikes, 'dislike')),
  ];
}

/** participants are the author then the latest commenters: pictures when they have one, initials otherwise. */
function participants(post) {
  const users = (post.participants ?? [post.author]).slice(0, 5);
  return h('ul', { class: 'participants', 'aria-label': 'Participants' }, users.map((u) =>
    h('li', { title: u.nickname }, avatar(u),
      hiddenText(u.nickname))));
}

/**
 * isNew says a signed-in reader never opened post, made since they signed up (what the New view lists);
 * their own posts count as opened.
 */
export const isNew = (post) => {
  const me = currentUser();
  return Boolean(me && post.read === false && !post.deleted && post.created_at >= me.created_at);
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
  // The server counts at most 100: more read as "99+".
  const text = post.unread_comments > 99 ? '99+ unread comments' : count(post.unread_comments, 'unread comment');
  return h('a', { class: 'unread-badge', href }, text);
}

/**
 * postCard is one topic's row, an article.post-card[data-id]: title and badges, read marks, categories, author
 * and excerpt, then (for a signed-in reader) the bookmark toggle, participants, counts and last activity.
 */
function postCard(post) {
  const removed = Boolean(post.deleted);
  return h('article', { class: 'post-card topic-row', 'data-id': post.id },
    h('div', { class: 'topic-main' },
      h('div', { class: 'topic-title' },
        h('h2', { class: 'post-card-title' }, h('a', { href: path('posts', post.id) }, removed ? REMOVED : post.title)),
        post.pinned && h('span', { class: 'pinned-badge' }, 'Pinned'),
        post.locked && h('span', { class: 'locked-badge' }, h('span', { 'aria-hidden': 'true' }, '🔒 '), 'Locked')),
      h('p', { class: 'post-meta' }, h('span', { class: 'read-marks' }, readMarks(post)),
        h('span', { class: 'tags' }, hiddenText('In '), post.categories.map((slug, i) => [i > 0 && ' ', categoryLink(slug)])),
        ' · by ', userLink(post.author),
        !removed && post.body && h('span', { class: 'topic-excerpt' }, ' · ', excerpt(plainText(post.body), 160)))),
    // A signed-in reader's posts say whether they bookmarked each (an anonymous reader's have no such field).
    post.bookmarked !== undefined && !removed && bookmarkButton(post, { onChange: (on) => { post.bookmarked = on; } }),
    participants(post),
    h('p', { class: 'post-stats' }, stats(post)),
    h('p', { class: 'topic-activity' }, hiddenText(post.last_commenter ? `Last reply by ${post.last_commenter.nickname}, ` : 'Posted '),
      timeEl(post.last_activity_at ?? post.created_at, { compact: true })));
}

/**
 * createPostList returns {el, loadMore, has, prepend, update, replace, remove, dispose}. query: the filter parameters of
 * GET url (default /api/posts); id: the list element's id. loadMore rejects on failure (the first page's error is the
 * view's), later pages triggered by scrolling report theirs.
 */
export function createPostList({ id, query, empty, url = '/api/posts' }) {
  const controller = new AbortController();
  const cards = new Map();
  const list = h('div', { id, class: 'post-list topic-list' });
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

  function render(entry, post) {
    const el = postCard(post);
    entry.el.replaceWith(el);
    Object.assign(entry, { post, el });
  }

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
      const [page] = await Promise.all([api.get(url, { query: { ...query, limit: PAGE_SIZE, cursor: next }, signal: controller.signal }), loadCategories()]);
      for (const post of page.items) if (!cards.has(post.id)) add(post, 'append');
      next = page.next ?? null;
      done = next == null;
      pagesLoaded++;
    } finally {
      loading = false;
      more.hidden = done;
      // A page may hold no post and still have a next one: the list is empty only once it is done.
      status.textContent = cards.size === 0 && done ? empty : '';
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
    /** update changes fields of a shown post (counts, unread comments, last activity): change(post) returns them. */
    update(postId, change) {
      const entry = cards.get(postId);
      if (!entry) return;
      render(entry, { ...entry.post, ...change(entry.post) });
    },
    /**
     * replace shows the new version of a post in place, if it is shown. A frame's post has no participants
     * or last commenter (they depend on the reader): those shown stay, and so do the reader's own fields.
     */
    replace(post) {
      const entry = cards.get(post.id);
      if (!entry) return;
      // A frame's post is everyone's: the reader's own marks shown so far carry over, and so do the participants
      // and last commenter it does not carry (they depend on the reader).
      if (post.bookmarked === undefined && entry.post.bookmarked !== undefined) {
        post = { ...post, bookmarked: entry.post.bookmarked, watch: entry.post.watch };
      }
      const kept = post.participants == null ? { participants: entry.post.participants, last_commenter: entry.post.last_commenter } : {};
      render(entry, { ...entry.post, ...post, ...kept, my_vote: entry.post.my_vote });
    },
    /** promote moves a shown post to the top of the list (its latest activity is the newest). */
    promote(postId) {
      const entry = cards.get(postId);
      if (entry) list.prepend(entry.el);
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
