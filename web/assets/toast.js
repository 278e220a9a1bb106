// Toasts: short messages in the #toasts live region.
import { h } from './dom.js';
import { ApiError } from './api.js';

const MAX_TOASTS = 4;
const TOAST_MS = 6000;

/** toast shows message for a few seconds; link ({href, text}) adds a link to it. */
export function toast(message, { kind = 'info', link } = {}) {
  const region = document.getElementById('toasts');
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss' }, '×');
  const box = h('div', { class: `toast toast-${kind}` },
    h('p', { class: 'toast-text' }, message),
    link && h('a', { href: link.href, class: 'toast-link' }, link.text),
    close);
  const dismiss = () => box.remove();
  close.addEventListener('click', dismiss);
  box.addEventListener('click', (event) => { if (event.target.closest('a')) dismiss(); });
  region.append(box);
  while (region.children.length > MAX_TOASTS) region.firstElementChild.remove();
  setTimeout(dismiss, TOAST_MS);
}

/** reportError shows a failure as a toast; an aborted request (the view went away) is not a failure. */
export function reportError(err) {
  if (err?.name === 'AbortError') return;
  if (err instanceof ApiError) {
    const wait = err.code === 'rate_limited' && err.retryAfter ? ` Try again in ${err.retryAfter} s.` : '';
    toast(`${err.message}${wait}`, { kind: 'error' });
  } else {
    console.error(err);
    toast('Something went wrong.', { kind: 'error' });
  }
}
