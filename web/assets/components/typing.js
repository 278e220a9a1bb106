// Typing signals: the sender side (throttled "active", then "inactive" after a pause) and the
// "X is typing…" indicator.
import { h } from '../dom.js';

const RESEND_MS = 2000;
const IDLE_MS = 3000;
const SHOWN_MS = 6000;

/**
 * createTypingSender returns {input(hasText), stop()}: input is called on every keystroke; it calls
 * send(true) at most every 2 s while typing goes on, and send(false) after 3 s without typing, on
 * stop() or when the text is cleared.
 */
export function createTypingSender(send) {
  let active = false;
  let lastSent = 0;
  let idle = null;

  function stop() {
    clearTimeout(idle);
    if (active) send(false);
    active = false;
    lastSent = 0;
  }

  function input(hasText) {
    if (!hasText) {
      stop();
      return;
    }
    const now = Date.now();
    if (now - lastSent >= RESEND_MS) {
      send(true);
      active = true;
      lastSent = now;
    }
    clearTimeout(idle);
    idle = setTimeout(stop, IDLE_MS);
  }

  return { input, stop };
}

/**
 * createTypingIndicator returns {el, set(user, active), dispose()}: el is #typing-indicator, naming who
 * is typing; each name goes away on set(user, false) or 6 s after its last set(user, true).
 */
export function createTypingIndicator() {
  const el = h('p', { id: 'typing-indicator', class: 'typing-indicator', 'aria-live': 'polite', hidden: true });
  const typing = new Map();

  function render() {
    const names = [...typing.values()].map((t) => t.nickname);
    el.hidden = names.length === 0;
    if (names.length === 0) el.textContent = '';
    else if (names.length === 1) el.textContent = `${names[0]} is typing…`;
    else if (names.length === 2) el.textContent = `${names[0]} and ${names[1]} are typing…`;
    else el.textContent = 'Several people are typing…';
  }

  function set(user, active) {
    clearTimeout(typing.get(user.id)?.timer);
    typing.delete(user.id);
    if (active) typing.set(user.id, { nickname: user.nickname, timer: setTimeout(() => set(user, false), SHOWN_MS) });
    render();
  }

  function dispose() {
    for (const { timer } of typing.values()) clearTimeout(timer);
    typing.clear();
  }

  return { el, set, dispose };
}
