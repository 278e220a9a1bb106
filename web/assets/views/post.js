// A post (/posts/{id}, opened at one comment with ?comment={id}) with its votes, its author's edit and delete, and its comments, all kept live.
import { h, path, userLink, timeEl, avatar, REMOVED } from '../dom.js';
import { api } from '../api.js';
import { reload } from '../router.js';
import { setRichText, richText } from '../richtext.js';
import { currentUser } from '../state.js';
import { reportError } from '../toast.js';
import { createVotes } from '../components/votes.js';
import { createReactions } from '../components/reactions.js';
import { bookmarkButton, watchControl } from '../components/marks.js';
import { createComments } from '../components/comments.js';
import { trackReading } from '../components/readtracker.js';
import { confirmButton } from '../components/confirm.js';
import { flagButton, roleBadge, isModerator } from '../components/flag.js';
import { menuButton } from '../components/menu.js';
import { categoryLink, categoryName, loadCategories } from '../components/categories.js';

export const post = {
  name: 'post',
  async mount({ main, params, query, scope, setTitle }) {
    const me = currentUser();
    const { id } = params;
    const title = h('h1', { id: 'post-title' });
    const meta = h('p', { class: 'post-meta' });
    const tags = h('ul', { class: 'tags', 'aria-label': 'Categories' });
    const body = h('div', { id: 'post-body', class: 'post-body rich-text' });
    const actions = h('div', { class: 'post-actions' });
    const history = h('section', { id: 'post-history', class: 'post-history', hidden: true, 'aria-labelledby': 'post-history-heading' });

    // "edited" opens the versions of the post, oldest first, a page at a
    // time: "More versions" reads the next page while there is one.
    function historyToggle() {
      const button = h('button', { type: 'button', id: 'post-history-toggle', class: 'link-button', 'aria-expanded': String(!history.hidden), 'aria-controls': 'post-history' }, 'edited');
      const heading = h('h2', { id: 'post-history-heading' });
      const list = h('ol', { class: 'revisions' });
      const more = h('button', { type: 'button', id: 'post-history-more', class: 'link-button', hidden: true }, 'More versions');
      let next = null;
      const load = async (cursor) => {
        const page = await api.get(path('api', 'posts', id, 'revisions'), { query: { limit: 100, cursor } });
        const first = list.children.length;
        list.append(...page.items.map((r, i) => h('li', { class: 'revision' },
          h('p', { class: 'revision-meta' }, first + i === 0 ? 'Posted ' : `Edit ${first + i} · `, timeEl(r.edited_at), ' · ', r.categories.map(categoryName).join(', ')),
          h('p', { class: 'revision-title' }, r.title),
          richText('div', 'revision-body', r.body_html))));
        next = page.next;
        more.hidden = next == null;
        heading.textContent = `Edit history (${list.children.length}${next ? '+' : ''} versions)`;
      };
      more.addEventListener('click', () => load(next).catch(reportError));
      button.addEventListener('click', async () => {
        if (!history.hidden) {
          history.hidden = true;
          button.setAttribute('aria-expanded', 'false');
          return;
        }
        try {
          list.replaceChildren();
          await load(undefined);
          history.replaceChildren(heading, list, more);
          history.hidden = false;
          button.setAttribute('aria-expanded', 'true');
        } catch (err) {
          reportError(err);
        }
      });
      return button;
    }
    const commentsHeading = h('h2', { id: 'comments-heading' });
    let shown = null;
    let votes = null;
    let reactions = null;

    const countComments = (n) => {
      shown.comment_count = n;
      commentsHeading.textContent = `Comments (${n})`;
    };
    // A signed-in reader's position in the comments goes to the server as they scroll.
    const reading = me ? trackReading(id) : null;
    const comments = createComments({
      postId: id,
      onNew: () => countComments(shown.comment_count + 1),
      onRemoved: () => countComments(shown.comment_count - 1),
      onShown: reading && ((el) => reading.observe(el)),
    });
    scope.add(comments.dispose);
    if (reading) scope.add(reading.dispose);

    // After deleting one's post: a page that says so, and where to go next.
    function showDeleted(postTitle) {
      setTitle('Post deleted');
      scope.dispose(); // the post's live updates and comments end here
      const heading = h('h1', { tabindex: '-1' }, 'Post deleted');
      main.replaceChildren(h('section', { class: 'deleted-page', id: 'post-deleted' }, heading,
        h('p', {}, `“${postTitle}” is deleted: it no longer shows in the feed, in search or on your profile, and its comments went with it.`),
        h('p', { class: 'form-actions' }, h('a', { href: '/', class: 'button' }, 'Back to the feed'), h('a', { href: '/new-topic' }, 'Write a new post'))));
      heading.focus();
    }

    async function remove() {
      try {
        const postTitle = shown.title;
        await api.del(path('api', 'posts', id));
        showDeleted(postTitle);
      } catch (err) {
        reportError(err);
      }
    }

    async function setHidden(hide) {
      try {
        await api.post(path('api', 'mod', 'posts', id, hide ? 'hide' : 'restore'), {});
        show({ ...shown, hidden: hide });
      } catch (err) {
        reportError(err);
      }
    }

    async function setPinned(scope) {
      try {
        if (scope) await api.post(path('api', 'mod', 'posts', id, 'pin'), { scope });
        else await api.post(path('api', 'mod', 'posts', id, 'unpin'), {});
        show({ ...shown, pinned: scope });
      } catch (err) {
        reportError(err);
      }
    }

    async function setLocked(locked) {
      try {
        await api.post(path('api', 'mod', 'posts', id, locked ? 'lock' : 'unlock'), {});
        show({ ...shown, locked });
      } catch (err) {
        reportError(err);
      }
    }

    // A moderator's actions on the post are in one "Moderate" menu: hide or restore, pin or unpin, lock or unlock.
    // Pinned: first on every list (global) or on its categories' lists. Locked: no new comments but from
    // moderators. A hidden post is restored before it is pinned or locked; its pin or lock may still be taken away.
    function moderateMenu(item) {
      return menuButton({
        id: 'mod-menu', cls: 'moderate-menu', label: 'Moderate',
        items: [
          { id: 'mod-hide-post', label: item.hidden ? 'Restore' : 'Hide', onSelect: () => setHidden(!item.hidden) },
          !item.pinned && !item.hidden && { id: 'mod-pin-global', label: 'Pin everywhere', onSelect: () => setPinned('global') },
          !item.pinned && !item.hidden && { id: 'mod-pin-category', label: 'Pin in its categories', onSelect: () => setPinned('category') },
          item.pinned && { id: 'mod-unpin', label: 'Unpin', onSelect: () => setPinned(null) },
          (item.locked || !item.hidden) && { id: item.locked ? 'mod-unlock' : 'mod-lock', label: item.locked ? 'Unlock' : 'Lock', onSelect: () => setLocked(!item.locked) },
        ],
      }).el;
    }

    function show(item) {
      // The bar shown so far has the latest reactions (frames reach it in order): they carry over.
      if (reactions) item = { ...item, reactions: reactions.counts(), my_reactions: reactions.mine() };
      // So do the reader's bookmark and watch level: a frame's post is everyone's.
      if (item.bookmarked === undefined && shown?.bookmarked !== undefined) item = { ...item, bookmarked: shown.bookmarked, watch: shown.watch };
      shown = item;
      // A hidden post shows as such; a moderator still reads it, marked.
      if (item.hidden && !isModerator(me)) {
        setTitle('Hidden post');
        title.textContent = 'Hidden by a moderator';
        body.textContent = 'This post was hidden by the moderators.';
        meta.replaceChildren();
        tags.replaceChildren();
        actions.replaceChildren();
        comments.close();
        return;
      }
      const removed = Boolean(item.deleted);
      const own = !removed && me && item.author.id === me.id;
      setTitle(removed ? REMOVED : item.title);
      title.textContent = removed ? REMOVED : item.title;
      if (removed) body.textContent = REMOVED;
      else setRichText(body, item.body_html);
      meta.replaceChildren(...(removed ? [] : [avatar(item.author), 'by ', userLink(item.author), roleBadge(item.author), ' · ', timeEl(item.created_at),
        item.hidden && h('span', { class: 'hidden-badge' }, ' · hidden'), item.pinned && ' · ', item.pinned && h('span', { id: 'post-pinned', class: 'pinned-badge' }, 'Pinned'),
        item.locked && ' · ', item.locked && h('span', { id: 'post-locked', class: 'locked-badge' }, h('span', { 'aria-hidden': 'true' }, '🔒 '), 'Locked'),
        ...(item.edited_at ? [' · ', historyToggle()] : [])].filter(Boolean)));
      if (removed) history.hidden = true;
      const showTags = () => tags.replaceChildren(...(removed ? [] : item.categories.map((slug) => h('li', {}, categoryLink(slug)))));
      showTags();
      loadCategories()?.then(showTags, () => {}); // named once the categories are known
      votes = removed ? null : createVotes({
        url: path('api', 'posts', id, 'vote'), item, ids: { like: 'like-post', dislike: 'dislike-post' }, label: 'Votes on this post',
      });
      reactions = removed ? null : createReactions({
        base: path('api', 'posts', id), kind: 'post', id, item, label: 'Reactions to this post',
      });
      actions.replaceChildren(...[
        votes?.el,
        reactions?.el,
        !removed && item.bookmarked !== undefined && bookmarkButton(item, { id: 'bookmark-post', onChange: (on) => { shown.bookmarked = on; } }),
        own && h('a', { href: path('posts', id, 'edit'), class: 'button' }, 'Edit'),
        own && confirmButton('Delete', 'Delete this post?', remove),
        !removed && me && !own && flagButton('posts', id),
        !removed && isModerator(me) && moderateMenu(item),
      ].filter(Boolean));
      if (!removed && item.watch) {
        actions.append(watchControl({ url: path('api', 'posts', id, 'watch'), what: 'post', level: item.watch, id: 'watch-post', onChange: (level) => { shown.watch = level; } }));
      }
      comments.setLocked(!removed && Boolean(item.locked));
      if (removed) comments.close();
      countComments(item.comment_count);
    }

    const [data] = await Promise.all([api.get(path('api', 'posts', id), { signal: scope.signal }), comments.loadMore()]);
    show(data.post);
    main.append(
      h('article', { class: 'post-full', 'aria-labelledby': 'post-title' }, title, meta, tags, body, actions, history),
      h('section', { class: 'comments-section', 'aria-labelledby': 'comments-heading' }, commentsHeading, comments.el));
    // A link to one comment (?comment=<id>, or #comment-<id> from a notification): open the comments there.
    const wanted = query.get('comment') ?? /^#comment-([0-9a-z]+)$/.exec(location.hash)?.[1];
    if (wanted) await comments.reveal(wanted);
    // Opened again: the comments open at the first one not read yet.
    else if (data.post.read && data.post.first_unread) await comments.reveal(data.post.first_unread);
    if (!data.post.hidden || isModerator(me)) reading?.start();

    scope.listen((msg) => {
      switch (msg.type) {
        case 'post.voted':
          if (msg.id === id) votes?.set({ likes: msg.likes, dislikes: msg.dislikes });
          break;
        case 'comment.voted':
          comments.setVotes(msg.id, { likes: msg.likes, dislikes: msg.dislikes });
          break;
        case 'reaction':
          if (msg.target.kind === 'post') reactions?.frame(msg);
          if (msg.target.kind === 'comment' && msg.post_id === id) comments.react(msg);
          break;
        case 'comment.created':
          if (msg.comment.post_id === id) comments.add(msg.comment);
          break;
        case 'restored':
          if (msg.target.id === id || document.getElementById(`comment-${msg.target.id}`)) reload();
          break;
        case 'hidden':
          if (msg.target.kind === 'post' && msg.target.id === id) show({ ...shown, hidden: true });
          if (msg.target.kind === 'comment') comments.hide(msg.target.id);
          break;
        case 'pinned':
          if (msg.post.id === id) show({ ...shown, pinned: msg.post.pinned });
          break;
        case 'locked':
          if (msg.post.id === id) show({ ...shown, locked: msg.post.locked });
          break;
        case 'post.edited':
        case 'post.deleted':
          // The frame carries the post as anyone sees it: my_vote stays mine.
          if (msg.post.id === id) show({ ...msg.post, my_vote: votes?.myVote() ?? 0 });
          break;
        case 'comment.edited':
        case 'comment.deleted':
          comments.update(msg.comment);
          break;
      }
    });
  },
};
