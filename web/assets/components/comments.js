// A post's comments, oldest first: paged with "Load more comments", new ones added live at the end,
// each shown once; votes on each, edit and delete for its author, and the form to add one.
import { h, path, userLink, timeEl, avatar, REMOVED } from '../dom.js';
import { api } from '../api.js';
import { richText } from '../richtext.js';
import { currentUser } from '../state.js';
import { reportError } from '../toast.js';
import { field, onSubmit } from '../forms.js';
import { createVotes } from './votes.js';
import { confirmButton } from './confirm.js';
import { composer } from './composer.js';
import { flagButton, roleBadge } from './flag.js';

const PAGE_SIZE = 20;

/**
 * createComments returns {el, loadMore, add, update, setVotes, close, dispose} for the comments of
 * postId; onNew(comment) runs for each comment added after the first load (live or mine), and
 * onRemoved(comment) for each shown comment deleted since (live or by me).
 */
export function createComments({ postId, onNew, onRemoved }) {
  const me = currentUser();
  const controller = new AbortController();
  const entries = new Map(); // comment id → {comment, el, votes}
  const list = h('ol', { id: 'comments', class: 'comments' });
  const more = h('button', { type: 'button', class: 'load-more', hidden: true }, 'Load more comments');
  let next = null;
  let loading = false;
  // New comments go to the end while older pages are still to come; those pages go in before them.
  let tailStart = null;

  function render(entry) {
    const { comment, el } = entry;
    entry.votes = null;
    el.classList.toggle('removed', Boolean(comment.deleted));
    if (comment.deleted) {
      el.replaceChildren(h('div', { class: 'comment-body' }, REMOVED));
      return;
    }
    if (comment.hidden && !comment.body) {
      el.replaceChildren(h('div', { class: 'comment-body hint' }, 'Hidden by a moderator.'));
      return;
    }
    entry.votes = createVotes({ url: path('api', 'comments', comment.id, 'vote'), item: comment, label: 'Votes on this comment' });
    const own = me && comment.author.id === me.id;
    const editButton = h('button', { type: 'button', class: 'edit-comment' }, 'Edit');
    editButton.addEventListener('click', () => edit(entry));
    el.replaceChildren(
      h('p', { class: 'comment-meta' }, avatar(comment.author), userLink(comment.author), roleBadge(comment.author), ' · ', timeEl(comment.created_at), comment.edited_at && ' · edited'),
      richText('div', 'comment-body', comment.body_html),
      h('div', { class: 'comment-actions' }, entry.votes.el,
        own && editButton,
        own && confirmButton('Delete', 'Delete this comment?', () => remove(entry)),
        me && !own && flagButton('comments', comment.id)));
  }

  function edit(entry) {
    const textarea = h('textarea', { rows: '3', maxlength: '10000', value: entry.comment.body });
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h('form', { class: 'comment-edit' }, field('Edit comment', 'body', { control: textarea }),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Save'), cancel));
    cancel.addEventListener('click', () => render(entry));
    onSubmit(form, async (data) => {
      const { comment } = await api.patch(path('api', 'comments', entry.comment.id), { body: data.get('body') });
      entry.comment = comment;
      render(entry);
    });
    entry.el.querySelector('.comment-body').replaceWith(form);
    textarea.focus();
  }

  async function remove(entry) {
    try {
      await api.del(path('api', 'comments', entry.comment.id));
      if (entry.comment.deleted) return; // its frame came first
      entry.comment = { ...entry.comment, deleted: true };
      render(entry);
      onRemoved(entry.comment);
    } catch (err) {
      reportError(err);
    }
  }

  function create(comment) {
    const entry = { comment, el: h('li', { class: 'comment', id: `comment-${comment.id}`, 'data-id': comment.id }), votes: null };
    entries.set(comment.id, entry);
    render(entry);
    return entry.el;
  }

  async function loadMore() {
    if (loading) return;
    loading = true;
    try {
      const page = await api.get(path('api', 'posts', postId, 'comments'), { query: { limit: PAGE_SIZE, cursor: next }, signal: controller.signal });
      for (const comment of page.items) if (!entries.has(comment.id)) list.insertBefore(create(comment), tailStart);
      next = page.next ?? null;
      more.hidden = next == null;
    } finally {
      loading = false;
    }
  }

  /** add shows a new comment at the end, once. */
  function add(comment) {
    if (entries.has(comment.id)) return;
    const el = create(comment);
    list.append(el);
    if (next != null && !tailStart) tailStart = el;
    onNew(comment);
  }

  let form;
  if (me) {
    const box = h('textarea', { rows: '3', maxlength: '10000', required: true });
    const boxField = field('Add a comment', 'body', { control: box });
    const writing = composer(box, { draftKey: `comment.${postId}` });
    form = h('form', { id: 'comment-form', class: 'comment-form' }, boxField, writing.el,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Comment')));
    onSubmit(form, async (data) => {
      const { comment } = await api.post(path('api', 'posts', postId, 'comments'), { body: data.get('body') });
      add(comment);
      writing.clear();
    });
  } else {
    form = h('p', { class: 'hint' }, h('a', { href: `/signin?next=${encodeURIComponent(path('posts', postId))}` }, 'Sign in'), ' to comment.');
  }

  more.addEventListener('click', () => loadMore().catch(reportError));

  return {
    el: h('div', { class: 'comments-wrap' }, list, more, form),
    loadMore,
    hasMore: () => next != null,
    add,
    /** update shows a shown comment as a frame carries it (edited or deleted), keeping my vote. */
    update(comment) {
      const entry = entries.get(comment.id);
      if (!entry) return;
      const removed = Boolean(comment.deleted) && !entry.comment.deleted;
      entry.comment = { ...comment, my_vote: entry.votes?.myVote() ?? 0 };
      render(entry);
      if (removed) onRemoved(comment);
    },
    /** hide shows a comment a moderator hid as hidden. */
    hide(commentId) {
      const entry = entries.get(commentId);
      if (!entry) return;
      entry.comment = { ...entry.comment, hidden: true, body: '', body_html: '' };
      render(entry);
    },
    setVotes(commentId, counts) {
      entries.get(commentId)?.votes?.set(counts);
    },
    /** close removes the form: a removed post takes no more comments. */
    close: () => form.remove(),
    dispose: () => controller.abort(),
  };
}
