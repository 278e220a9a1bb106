// A post's comments, oldest first: paged with "Load more comments", new ones added live at the end,
// each shown once and in order; votes on each, its reactions and Reply, then a "…" menu of Quote and Copy link,
// edit and delete for its author and Flag for others,
// and the form to add one. A comment not loaded yet is reached by the page that starts at it (reveal); the
// comments between it and those loaded before stay behind a "Load earlier comments" gap.
import { h, path, userLink, timeEl, avatar, REMOVED } from '../dom.js';
import { api } from '../api.js';
import { richText } from '../richtext.js';
import { currentUser } from '../state.js';
import { reportError, toast } from '../toast.js';
import { field, errorSlot, onSubmit } from '../forms.js';
import { createVotes } from './votes.js';
import { createReactions } from './reactions.js';
import { confirmButton } from './confirm.js';
import { composer } from './composer.js';
import { attachPictures } from './attach.js';
import { flagButton, roleBadge } from './flag.js';
import { menuButton } from './menu.js';
import { permalink, copyLink, selectedIn, quoteMarkdown, insertAtCaret, replyingLine } from './replies.js';

const PAGE_SIZE = 20;
const HIGHLIGHT_MS = 4000;

/**
 * createComments returns {el, loadMore, reveal, add, update, setVotes, react, close, dispose} for the comments of
 * postId; onNew(comment) runs for each comment added after the first load (live or mine),
 * onRemoved(comment) for each shown comment deleted since (live or by me), and onShown(el), when given, for
 * each comment's element put in the list.
 */
export function createComments({ postId, onNew, onRemoved, onShown }) {
  const me = currentUser();
  const controller = new AbortController();
  const entries = new Map(); // comment id → {comment, el, votes}
  const list = h('ol', { id: 'comments', class: 'comments' });
  const more = h('button', { type: 'button', class: 'load-more', hidden: true }, 'Load more comments');
  let next = null;
  let loading = false;
  // Holes in the list, each a "Load earlier comments" item before the first comment after it: gap → cursor.
  const gaps = new Map();
  let box = null; // the comment form's textarea, when signed in
  let replying = null;

  function render(entry) {
    const { comment, el } = entry;
    entry.votes = null;
    entry.reactions = null;
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
    entry.reactions = createReactions({ base: path('api', 'comments', comment.id), kind: 'comment', id: comment.id, item: comment, label: 'Reactions to this comment' });
    const own = me && comment.author.id === me.id;
    const body = richText('div', 'comment-body', comment.body_html);
    el.replaceChildren(
      h('p', { class: 'comment-meta' }, avatar(comment.author), userLink(comment.author), roleBadge(comment.author), ' · ', timeEl(comment.created_at), comment.edited_at && ' · edited',
        comment.reply_to && ' · ', comment.reply_to && inReplyTo(comment.reply_to)),
      body,
      h('div', { class: 'comment-actions' }, entry.votes.el, entry.reactions.el,
        me && h('button', { type: 'button', class: 'link-button reply-comment', onclick: () => replyTo(entry) }, 'Reply'),
        moreActions(entry, body, own)));
  }

  // The comment's other actions (Quote, Copy link, Edit, Delete, Flag) are in a "…" menu; Delete asks and Flag
  // takes its reason in place, in the row.
  function moreActions(entry, body, own) {
    const { comment } = entry;
    const remover = own ? confirmButton('Delete', 'Delete this comment?', () => remove(entry)) : null;
    const flag = me && !own ? flagButton('comments', comment.id) : null;
    let selected = ''; // the text selected in the comment when the menu was opened
    const more = menuButton({
      cls: 'comment-more', title: 'More actions', label: h('span', { 'aria-hidden': 'true' }, '…'),
      items: [
        me && { label: 'Quote', class: 'quote-comment', onSelect: () => quote(entry, selected || selectedIn(body)) },
        { label: 'Copy link', class: 'copy-link', onSelect: () => copyLink(postId, comment.id) },
        own && { label: 'Edit', class: 'edit-comment', onSelect: () => edit(entry) },
        own && { label: 'Delete', class: 'delete-comment danger', onSelect: () => remover.querySelector('button').click() },
        flag && { label: 'Flag', class: 'flag-comment', onSelect: () => flag.querySelector('.flag-button').click() },
      ],
    });
    const remember = () => { selected = selectedIn(body); };
    more.button.addEventListener('pointerdown', remember);
    more.button.addEventListener('keydown', remember);
    // Backing out of Delete or Flag gives the focus back to the menu's button (their own buttons are the menu's).
    remover?.querySelector('.confirm-no').addEventListener('click', () => more.button.focus());
    flag?.querySelector('.flag-cancel').addEventListener('click', () => more.button.focus());
    return [more.el, remover, flag];
  }

  // "in reply to @x": goes to the comment answered, loading its page when it is not shown yet; the address
  // says which comment is shown, so a reload or a shared link opens there. Its author is null for a reader
  // who blocks them, whose comments are not shown: then it says so, and leads nowhere.
  function inReplyTo(ref) {
    if (!ref.author) return h('span', { class: 'in-reply-to', 'data-reply-to': ref.id }, 'in reply to a user you block');
    return h('a', {
      href: permalink(postId, ref.id), class: 'in-reply-to', 'data-reply-to': ref.id,
      onclick: (event) => {
        event.preventDefault();
        history.replaceState(history.state, '', permalink(postId, ref.id));
        reveal(ref.id).catch(reportError);
      },
    }, `in reply to @${ref.author.nickname}`);
  }

  function replyTo(entry) {
    replying.set(entry.comment);
    box.focus({ preventScroll: true });
    box.closest('form').scrollIntoView({ block: 'nearest' });
  }

  // Quote: the text selected in the comment when its menu opened, else all of it; the comment written answers
  // the one quoted.
  function quote(entry, text) {
    insertAtCaret(box, quoteMarkdown(entry.comment, text || entry.comment.body));
    replying.set(entry.comment);
  }

  function edit(entry) {
    const textarea = h('textarea', { rows: '3', maxlength: '10000', value: entry.comment.body });
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const pictures = attachPictures(textarea);
    const form = h('form', { class: 'comment-edit' }, field('Edit comment', 'body', { control: textarea }), pictures.list,
      h('div', { class: 'composer-tools' }, pictures.button),
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

  // place puts el (a comment or a gap) in the list in the order of data-seq.
  function place(el) {
    const seq = Number(el.dataset.seq);
    const after = [...list.children].find((other) => Number(other.dataset.seq) > seq);
    list.insertBefore(el, after ?? null);
  }

  function create(comment) {
    const el = h('li', { class: 'comment', id: `comment-${comment.id}`, 'data-id': comment.id, 'data-seq': String(comment.seq), tabindex: '-1' });
    const entry = { comment, el, votes: null, reactions: null };
    entries.set(comment.id, entry);
    render(entry);
    place(el);
    onShown?.(el);
  }

  // insert shows the comments of a page not shown yet; it says whether some were shown already.
  function insert(items) {
    let met = false;
    for (const comment of items) {
      if (entries.has(comment.id)) met = true;
      else create(comment);
    }
    return met;
  }

  const fetchPage = (query) => api.get(path('api', 'posts', postId, 'comments'), { query: { limit: PAGE_SIZE, ...query }, signal: controller.signal });

  async function loadMore() {
    if (loading) return;
    loading = true;
    try {
      const page = await fetchPage({ cursor: next });
      insert(page.items);
      next = page.next ?? null;
      more.hidden = next == null;
    } finally {
      loading = false;
    }
  }

  // A gap before the comment at seq: the comments after cursor, up to it, not loaded yet.
  function addGap(seq, cursor) {
    const el = h('li', { class: 'comments-gap', 'data-seq': String(seq - 0.5) });
    el.append(h('button', { type: 'button', class: 'load-more', onclick: () => fillGap(el).catch(reportError) }, 'Load earlier comments'));
    gaps.set(el, cursor);
    place(el);
  }

  // closeOrMove ends a gap once its comments reach those shown, or moves its cursor on.
  function closeOrMove(gap, met, cursor) {
    if (met || cursor == null) {
      gaps.delete(gap);
      gap.remove();
    } else gaps.set(gap, cursor);
  }

  async function fillGap(gap) {
    const page = await fetchPage({ cursor: gaps.get(gap) });
    closeOrMove(gap, insert(page.items), page.next ?? null);
  }

  // loadFrom shows the page that starts at comment id, in the hole it falls in (a gap, or the end).
  async function loadFrom(id) {
    let page;
    try {
      page = await fetchPage({ from: id });
    } catch (err) {
      if (err.status === 400) return; // not a comment of this post (any more)
      throw err;
    }
    const first = page.items[0];
    if (!first) return;
    const hole = [...gaps.keys()].filter((g) => Number(g.dataset.seq) > first.seq).sort((a, b) => a.dataset.seq - b.dataset.seq)[0];
    const met = insert(page.items);
    if (hole) {
      addGap(first.seq, gaps.get(hole));
      closeOrMove(hole, met, page.next ?? null);
    } else if (next != null) {
      addGap(first.seq, next);
      next = page.next ?? null;
      more.hidden = next == null;
    }
  }

  /**
   * reveal scrolls to comment id and highlights it briefly, loading its page when it is not shown; a
   * comment deleted or hidden since, or not shown to this reader, is said to be gone.
   */
  async function reveal(id) {
    if (!entries.has(id)) await loadFrom(id);
    const entry = entries.get(id);
    if (!entry || entry.comment.deleted || (entry.comment.hidden && !entry.comment.body)) {
      toast('That comment is gone: it was deleted or hidden, or is not shown to you.');
      if (!entry) return false;
    }
    entry.el.classList.add('target');
    entry.el.scrollIntoView({ block: 'center' });
    entry.el.focus({ preventScroll: true });
    clearTimeout(entry.highlight);
    entry.highlight = setTimeout(() => entry.el.classList.remove('target'), HIGHLIGHT_MS);
    return true;
  }

  /** add shows a new comment in its place (the end, unless pages before it are still to come), once. */
  function add(comment) {
    if (entries.has(comment.id)) return;
    create(comment);
    onNew(comment);
  }

  let form;
  if (me) {
    box = h('textarea', { rows: '3', maxlength: '10000', required: true });
    const boxField = field('Add a comment', 'body', { control: box });
    const writing = composer(box, { draftKey: `comment.${postId}` });
    const refused = errorSlot('reply_to');
    const cancelReply = () => {
      refused.hidden = true;
      box.focus();
    };
    replying = replyingLine({ onCancel: cancelReply, onFollow: (id) => reveal(id).catch(reportError) });
    form = h('form', { id: 'comment-form', class: 'comment-form' }, replying.el, refused, boxField, writing.el,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Comment')));
    onSubmit(form, async (data) => {
      const { comment } = await api.post(path('api', 'posts', postId, 'comments'), { body: data.get('body'), reply_to: replying.target()?.id });
      add(comment);
      writing.clear();
      replying.clear();
    });
  } else {
    form = h('p', { class: 'hint' }, h('a', { href: `/signin?next=${encodeURIComponent(path('posts', postId))}` }, 'Sign in'), ' to comment.');
  }

  more.addEventListener('click', () => loadMore().catch(reportError));
  const lockedNote = h('p', { id: 'post-locked-note', class: 'locked-note', hidden: true });
  const wrap = h('div', { class: 'comments-wrap' }, list, more, lockedNote, form);

  return {
    el: wrap,
    loadMore,
    reveal,
    add,
    /** update shows a shown comment as a frame carries it (edited or deleted), keeping my vote. */
    update(comment) {
      const entry = entries.get(comment.id);
      if (!entry) return;
      const removed = Boolean(comment.deleted) && !entry.comment.deleted;
      entry.comment = { ...comment, my_vote: entry.votes?.myVote() ?? 0, my_reactions: entry.reactions?.mine() ?? [] };
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
    /** react applies a reaction frame to the comment it is about, if shown. */
    react(msg) {
      entries.get(msg.target.id)?.reactions?.frame(msg);
    },
    /**
     * setLocked says whether the post is locked: it takes no new comments from anyone (a moderator unlocks it
     * first), so the form gives way to a note; Reply and Quote go with the form.
     */
    setLocked(locked) {
      lockedNote.hidden = !locked;
      lockedNote.textContent = 'This topic is locked: it takes no new comments.';
      form.hidden = locked;
      // Reply and Quote write into the form: gone with it.
      wrap.classList.toggle('closed', form.hidden);
    },
    /** close removes the form: a removed post takes no more comments. */
    close: () => form.remove(),
    dispose: () => controller.abort(),
  };
}
