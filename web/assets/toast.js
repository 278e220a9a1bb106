// Toasts: short messages in the #toasts live region. They vanish by themselves; only a toast that leads
// somewhere (href) takes a click, the others let clicks through (pointer-events: none in the CSS).
import { h } from './dom.js';
import { ApiError } from './api.js';

const MAX_TOASTS = 4;
const TOAST_MS = 6000;

/** toast shows message for a few seconds; kind 'error' marks a failure; href makes it a link there. */
export function toast(message, { kind = 'info', href = null } = {}) {
  const region = document.getElementById('toasts');
  const box = href
    ? h('p', { class: `toast toast-${kind} toast-link` }, h('a', { href }, message))
    : h('p', { class: `toast toast-${kind}` }, message);
  region.append(box);
  while (region.children.length > MAX_TOASTS) region.firstElementChild.remove();
  setTimeout(() => box.remove(), TOAST_MS);
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
