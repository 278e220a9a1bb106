// Like and dislike buttons for a post or a comment: aria-pressed shows my vote, clicking the pressed one
// takes the vote back (sets 0).
import { h, hiddenText } from '../dom.js';
import { api } from '../api.js';
import { currentUser } from '../state.js';
import { toast, reportError } from '../toast.js';

/**
 * createVotes returns {el, set(fields), myVote()} for the votes at url (PUT {value}). item: {likes, dislikes, my_vote};
 * ids: optional element ids {like, dislike}; label names the group for assistive technology.
 */
export function createVotes({ url, item, ids = {}, label }) {
  const counts = { likes: item.likes, dislikes: item.dislikes, my_vote: item.my_vote ?? 0 };
  let busy = false;

  const button = (value, id, text, symbol) => {
    const count = h('span', { class: 'count' });
    const el = h('button', { type: 'button', id, class: `vote vote-${value > 0 ? 'like' : 'dislike'}`, 'aria-pressed': 'false' },
      h('span', { 'aria-hidden': 'true' }, symbol), hiddenText(text), ' ', count);
    el.addEventListener('click', () => cast(value));
    return { el, count };
  };
  const like = button(1, ids.like, 'Like', '▲');
  const dislike = button(-1, ids.dislike, 'Dislike', '▼');

  function render() {
    like.count.textContent = counts.likes;
    dislike.count.textContent = counts.dislikes;
    like.el.setAttribute('aria-pressed', String(counts.my_vote === 1));
    dislike.el.setAttribute('aria-pressed', String(counts.my_vote === -1));
  }

  async function cast(value) {
    if (!currentUser()) {
      toast('Sign in to vote.');
      return;
    }
    if (busy) return;
    busy = true;
    try {
      set(await api.put(url, { value: counts.my_vote === value ? 0 : value }));
    } catch (err) {
      reportError(err);
    } finally {
      busy = false;
    }
  }

  /** set takes new counts ({likes, dislikes}, from a frame) and my_vote when given. */
  function set(fields) {
    Object.assign(counts, fields);
    render();
  }

  render();
  return { el: h('div', { class: 'votes', role: 'group', 'aria-label': label }, like.el, dislike.el), set, myVote: () => counts.my_vote };
}
