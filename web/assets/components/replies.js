// Replies, quotes and links to comments: a comment's permalink, the copy-link button, the Markdown of a
// quote, and the "Replying to @x ✕" line of the comment form.
import { h, path } from '../dom.js';
import { toast } from '../toast.js';

/** permalink is the page of postId opened at commentId (absolute when absolute is set). */
export function permalink(postId, commentId, { absolute = false } = {}) {
  const url = `${path('posts', postId)}?comment=${encodeURIComponent(commentId)}`;
  return absolute ? location.origin + url : url;
}

/** copyLink puts the absolute permalink of a comment on the clipboard, and says so (or shows it to copy by hand). */
export async function copyLink(postId, commentId) {
  const url = permalink(postId, commentId, { absolute: true });
  try {
    await navigator.clipboard.writeText(url);
    toast('Link copied to the clipboard.');
  } catch {
    toast(`Copy this link: ${url}`);
  }
}

/**
 * selectedIn is the text selected inside el, or '' when nothing is selected there. It is read on
 * opening of a comment's menu, before a click could move the selection.
 */
export function selectedIn(el) {
  const sel = getSelection();
  if (!sel || sel.isCollapsed || sel.rangeCount === 0) return '';
  const range = sel.getRangeAt(0);
  return el.contains(range.commonAncestorContainer) ? sel.toString().trim() : '';
}

/** quoteMarkdown is text quoted as Markdown, attributed to its author and linked to the comment (within the forum). */
export function quoteMarkdown(comment, text) {
  const lines = text.replace(/\r\n?/g, '\n').trim().split('\n').map((line) => (line ? `> ${line}` : '>'));
  return `[@${comment.author.nickname} wrote:](${permalink(comment.post_id, comment.id)})\n${lines.join('\n')}\n\n`;
}

/** insertAtCaret puts text into textarea at its caret (on a line of its own) and focuses it. */
export function insertAtCaret(textarea, text) {
  const at = textarea.selectionStart ?? textarea.value.length;
  const before = textarea.value.slice(0, at);
  const gap = before && !before.endsWith('\n\n') ? (before.endsWith('\n') ? '\n' : '\n\n') : '';
  textarea.setRangeText(gap + text, at, textarea.selectionEnd ?? at, 'end');
  textarea.dispatchEvent(new Event('input', { bubbles: true }));
  textarea.focus();
}

/**
 * replyingLine is the "Replying to @x ✕" line above the comment box: set(comment) shows it, clear() hides
 * it, target() is the comment replied to (or null). onCancel runs when ✕ is pressed, onFollow(id) when the
 * link to the comment is followed.
 */
export function replyingLine({ onCancel, onFollow }) {
  let current = null;
  const who = h('a', { class: 'replying-to-link' });
  who.addEventListener('click', (event) => {
    event.preventDefault();
    if (current) onFollow(current.id);
  });
  const cancel = h('button', { type: 'button', class: 'link-button replying-cancel', 'aria-label': 'Cancel the reply' }, '✕');
  const el = h('p', { id: 'replying-to', class: 'replying-to', hidden: true }, 'Replying to ', who, ' ', cancel);
  const clear = () => {
    current = null;
    el.hidden = true;
  };
  cancel.addEventListener('click', () => {
    clear();
    onCancel();
  });
  return {
    el,
    set(comment) {
      current = comment;
      who.textContent = `@${comment.author.nickname}`;
      who.setAttribute('href', permalink(comment.post_id, comment.id));
      el.hidden = false;
    },
    clear,
    target: () => current,
  };
}
