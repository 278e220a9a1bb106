// A Markdown text box: Write and Preview tabs (the preview rendered by the server, shown through the one
// HTML sink), pictures attached, pasted or dropped, formatting help, @-mention completion from the forum's
// users, and its draft kept per place.
import { h, path } from '../dom.js';
import { api } from '../api.js';
import { setRichText } from '../richtext.js';
import { keepDraft, clearDraft } from '../drafts.js';
import { attachPictures } from './attach.js';

let nextId = 0;

const HELP = [
  ['**bold**', 'bold'], ['*italic*', 'italic'], ['~~struck~~', 'strikethrough'], ['`code`', 'code'],
  ['[text](https://…)', 'link'], ['> quote', 'quote'], ['- item', 'list'], ['@nickname', 'mention'],
  ['![alt](/media/…)', 'picture (attach, paste or drop one)'], ['| a | b |', 'table'],
];

/** formattingHelp is a disclosure listing the Markdown this forum understands. */
export function formattingHelp() {
  return h('details', { class: 'format-help' }, h('summary', {}, 'Formatting help'),
    h('dl', {}, HELP.flatMap(([typed, shown]) => [h('dt', {}, h('code', {}, typed)), h('dd', {}, shown)])));
}

// The nickname being typed just before the caret: "@" at the start or after a space, then its characters.
const MENTION_AT_CARET = /(?:^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]{1,24})$/;

/**
 * attachMentions completes @nicknames typed in textarea: a list of matching users under it, chosen with
 * the arrow keys and Enter or Tab (Escape closes it), or a click. Returns the list element.
 */
export function attachMentions(textarea) {
  const id = `mentions-${++nextId}`;
  const list = h('ul', { id, class: 'mention-list', role: 'listbox', 'aria-label': 'Mention a user', hidden: true });
  const status = h('p', { class: 'visually-hidden', role: 'status' });
  let items = [];
  let active = -1;
  let asked = 0;
  let controller = null;

  function close() {
    list.hidden = true;
    items = [];
    active = -1;
    textarea.removeAttribute('aria-activedescendant');
  }

  function highlight(i) {
    active = i;
    list.querySelectorAll('[role=option]').forEach((el, j) => el.setAttribute('aria-selected', String(j === i)));
    if (i >= 0) textarea.setAttribute('aria-activedescendant', `${id}-${i}`);
  }

  function choose(i) {
    const user = items[i];
    if (!user) return;
    const before = textarea.value.slice(0, textarea.selectionStart);
    const m = MENTION_AT_CARET.exec(before);
    if (!m) return close();
    const start = before.length - m[1].length;
    textarea.setRangeText(`${user.nickname} `, start, textarea.selectionStart, 'end');
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    close();
    textarea.focus();
  }

  async function suggest() {
    const m = MENTION_AT_CARET.exec(textarea.value.slice(0, textarea.selectionStart));
    if (!m) return close();
    const n = ++asked;
    controller?.abort();
    controller = new AbortController();
    let found;
    try {
      found = await api.get('/api/contacts', { query: { q: m[1], limit: 6 }, signal: controller.signal });
    } catch {
      return;
    }
    if (n !== asked) return;
    items = found.items.map((c) => c.user);
    if (items.length === 0) return close();
    list.replaceChildren(...items.map((u, i) => h('li', {
      id: `${id}-${i}`, role: 'option', 'aria-selected': 'false', class: 'mention-option',
      onmousedown: (e) => { e.preventDefault(); choose(i); },
    }, `@${u.nickname}`)));
    list.hidden = false;
    status.textContent = `${items.length} ${items.length === 1 ? 'user' : 'users'} found; arrow keys to choose`;
    highlight(0);
  }

  textarea.addEventListener('input', suggest);
  textarea.addEventListener('blur', close);
  textarea.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      highlight((active + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      e.stopPropagation();
      choose(active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  return h('div', { class: 'mention-wrap' }, list, status);
}

/**
 * composer wraps textarea (already labelled by its field) with Write/Preview, pictures (attachPictures),
 * formatting help and mention completion, and keeps its draft under draftKey. It returns {el, clear}: clear() forgets the
 * draft and empties the box, once what was typed is posted.
 */
export function composer(textarea, { draftKey, preview = true } = {}) {
  const restored = draftKey ? keepDraft(textarea, draftKey) : false;
  const shown = h('div', { class: 'composer-preview rich-text', hidden: true, 'aria-live': 'polite' });
  const toggle = h('button', { type: 'button', class: 'link-button composer-toggle', 'aria-pressed': 'false' }, 'Preview');
  toggle.addEventListener('click', async () => {
    const previewing = toggle.getAttribute('aria-pressed') !== 'true';
    toggle.setAttribute('aria-pressed', String(previewing));
    toggle.textContent = previewing ? 'Write' : 'Preview';
    textarea.hidden = previewing;
    shown.hidden = !previewing;
    if (!previewing) {
      textarea.focus();
      return;
    }
    if (!textarea.value.trim()) {
      shown.textContent = 'Nothing to preview.';
      return;
    }
    shown.textContent = 'Rendering…';
    try {
      const { body_html: html } = await api.post('/api/preview', { body: textarea.value });
      setRichText(shown, html);
    } catch (err) {
      shown.textContent = `No preview: ${err.message}`;
    }
  });
  const pictures = attachPictures(textarea);
  const tools = h('div', { class: 'composer-tools' }, pictures.button, preview && toggle, formattingHelp(),
    restored && h('span', { class: 'hint draft-note' }, 'Draft restored'));
  textarea.after(shown, pictures.list, attachMentions(textarea));
  return {
    el: tools,
    clear() {
      if (draftKey) clearDraft(draftKey);
      textarea.value = '';
    },
  };
}
