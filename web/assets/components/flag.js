// Flagging a post, comment or message for the moderators: a button that opens a short form in place
// (a reason, chosen or typed), sent once per user and item.
import { h, path } from '../dom.js';
import { api } from '../api.js';
import { toast, reportError } from '../toast.js';

const REASONS = ['Spam', 'Abuse or harassment', 'Off-topic', 'Something else'];
let nextId = 0;

/** flagButton flags the item {kind: 'posts' | 'comments' | 'messages', id}. */
export function flagButton(kind, id) {
  const trigger = h('button', { type: 'button', class: 'link-button flag-button' }, 'Flag');
  const selectId = `flag-reason-${++nextId}`;
  const select = h('select', { id: selectId, name: 'reason' }, REASONS.map((r) => h('option', { value: r }, r)));
  const form = h('form', { class: 'flag-form inline-form', hidden: true },
    h('label', { for: selectId }, 'Why?'), select,
    h('button', { type: 'submit' }, 'Send to moderators'), h('button', { type: 'button', class: 'link-button flag-cancel' }, 'Cancel'));
  trigger.addEventListener('click', () => {
    form.hidden = false;
    trigger.hidden = true;
    select.focus();
  });
  form.querySelector('.flag-cancel').addEventListener('click', () => {
    form.hidden = true;
    trigger.hidden = false;
    trigger.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api.post(path('api', kind, id, 'flag'), { reason: select.value });
      toast('Thanks: the moderators will look at it.');
      trigger.textContent = 'Flagged';
      trigger.disabled = true;
    } catch (err) {
      if (err.status === 409) {
        trigger.textContent = 'Flagged';
        trigger.disabled = true;
      } else reportError(err);
    }
    form.hidden = true;
    trigger.hidden = false;
  });
  return h('span', { class: 'flag-wrap' }, trigger, form);
}

/** roleBadge marks a moderator or admin beside their name. */
export function roleBadge(user) {
  return user?.role ? h('span', { class: `role-badge role-${user.role}` }, user.role === 'admin' ? 'admin' : 'mod') : null;
}

/** isModerator tells whether the user may moderate. */
export const isModerator = (user) => user?.role === 'moderator' || user?.role === 'admin';
