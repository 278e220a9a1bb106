// A compact bar of reactions under a post, a comment or a chat message: the reactions it has, as chips with
// their emoji and count (pressed when one is mine; a click puts mine on or takes it off), and a "+" button that
// opens a small picker of the eight. Who reacted shows on hover or focus of a chip (its title, read from the
// list of who reacted), and the counts follow the reaction frames.
import { h, hiddenText } from '../dom.js';
import { api } from '../api.js';
import { currentUser } from '../state.js';
import { toast, reportError } from '../toast.js';

/** REACTIONS are the reactions there are, in the order they are shown: [name, emoji, label]. */
export const REACTIONS = [
  ['+1', '👍', 'Thumbs up'], ['heart', '❤️', 'Heart'], ['laugh', '😄', 'Laugh'], ['tada', '🎉', 'Hooray'],
  ['surprised', '😮', 'Surprised'], ['sad', '😢', 'Sad'], ['pray', '🙏', 'Thanks'], ['eyes', '👀', 'Eyes'],
];

const WHO_SHOWN = 10;
let nextPickerId = 0;

/**
 * createReactions returns {el, set(fields), frame(msg), mine(), counts()} for the reactions of the item at base (its API path,
 * e.g. /api/posts/ID): item carries {reactions, my_reactions}; kind and id name it as reaction frames do;
 * label names the bar for assistive technology; mayReact(), when given, says whether the reader may react
 * (else why not: a string shown instead).
 */
export function createReactions({ base, kind, id, item, label, mayReact = () => true }) {
  const state = { counts: { ...(item.reactions ?? {}) }, mine: new Set(item.my_reactions ?? []) };
  const who = new Map(); // name → title text, read when first wanted, forgotten when the count moves
  let busy = false;
  const chips = h('span', { class: 'reaction-chips' });
  const pickerId = `reaction-picker-${++nextPickerId}`;
  const add = h('button', { type: 'button', class: 'reaction-add', 'aria-expanded': 'false', 'aria-controls': pickerId, title: 'Add a reaction' },
    h('span', { 'aria-hidden': 'true' }, '🙂+'), hiddenText('Add a reaction'));
  const picker = h('span', { id: pickerId, class: 'reaction-picker', role: 'group', 'aria-label': 'Pick a reaction', hidden: true });
  const options = REACTIONS.map(([name, emoji, text]) => {
    const b = h('button', { type: 'button', class: 'reaction-option', 'data-name': name, 'aria-pressed': 'false', title: text },
      h('span', { 'aria-hidden': 'true' }, emoji), hiddenText(text));
    b.addEventListener('click', () => {
      close(true);
      toggle(name);
    });
    return b;
  });
  picker.append(...options);

  function render() {
    chips.replaceChildren(...REACTIONS.filter(([name]) => state.counts[name] > 0).map(([name, emoji, text]) => {
      const n = state.counts[name];
      const chip = h('button', { type: 'button', class: 'reaction-chip', 'data-name': name, 'aria-pressed': String(state.mine.has(name)), title: who.get(name) ?? text },
        h('span', { 'aria-hidden': 'true' }, emoji), hiddenText(`${text}:`), ' ', h('span', { class: 'count' }, n));
      chip.addEventListener('click', () => toggle(name));
      chip.addEventListener('mouseenter', () => explain(chip, name));
      chip.addEventListener('focus', () => explain(chip, name));
      return chip;
    }));
    for (const o of options) o.setAttribute('aria-pressed', String(state.mine.has(o.dataset.name)));
    add.hidden = !currentUser();
  }

  // explain fills a chip's title with who reacted so (the first few, then how many more).
  async function explain(chip, name) {
    if (who.has(name)) return;
    who.set(name, chip.title);
    try {
      const page = await api.get(`${base}/reactions/${encodeURIComponent(name)}`, { query: { limit: WHO_SHOWN } });
      const names = page.items.map((u) => u.nickname);
      const rest = (state.counts[name] ?? 0) - names.length;
      const text = REACTIONS.find(([n]) => n === name)[2];
      const title = `${text}: ${names.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
      who.set(name, title);
      chip.title = title;
    } catch {
      who.delete(name); // asked again on the next hover
    }
  }

  async function toggle(name) {
    if (!currentUser()) {
      toast('Sign in to react.');
      return;
    }
    const refusal = mayReact();
    if (refusal !== true) {
      toast(typeof refusal === 'string' ? refusal : 'You cannot react to this.');
      return;
    }
    if (busy) return;
    busy = true;
    const url = `${base}/reactions/${encodeURIComponent(name)}`;
    try {
      set(state.mine.has(name) ? await api.del(url) : await api.put(url, undefined));
    } catch (err) {
      reportError(err);
    } finally {
      busy = false;
    }
  }

  function open() {
    picker.hidden = false;
    add.setAttribute('aria-expanded', 'true');
    options[0].focus();
    document.addEventListener('pointerdown', outside, true);
  }

  function close(refocus) {
    if (picker.hidden) return;
    picker.hidden = true;
    add.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (refocus) add.focus();
  }

  function outside(event) {
    if (!el.contains(event.target)) close(false);
  }

  add.addEventListener('click', () => (picker.hidden ? open() : close(true)));
  // In the picker: arrows move between the reactions, Home and End to the ends, Escape closes it.
  picker.addEventListener('keydown', (event) => {
    const at = options.indexOf(document.activeElement);
    const go = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: options.length - 1 }[event.key];
    if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (go !== undefined) {
      event.preventDefault();
      options[(go + options.length) % options.length].focus();
    }
  });
  picker.addEventListener('focusout', (event) => {
    if (!el.contains(event.relatedTarget)) close(false);
  });

  /** set takes new counts ({reactions}) and, when given, my_reactions. */
  function set(fields) {
    if (fields.reactions) {
      state.counts = { ...fields.reactions };
      who.clear();
    }
    if (fields.my_reactions) state.mine = new Set(fields.my_reactions);
    render();
  }

  /** frame applies a reaction frame, if it is about this item. */
  function frame(msg) {
    if (msg.type !== 'reaction' || msg.target.kind !== kind || msg.target.id !== id) return;
    if (msg.user.id === currentUser()?.id) {
      if (msg.added) state.mine.add(msg.name);
      else state.mine.delete(msg.name);
    }
    set({ reactions: msg.reactions });
  }

  const el = h('div', { class: 'reactions', role: 'group', 'aria-label': label }, chips, h('span', { class: 'reaction-more' }, add, picker));
  render();
  return {
    el, set, frame,
    mine: () => REACTIONS.map(([name]) => name).filter((name) => state.mine.has(name)),
    counts: () => ({ ...state.counts }),
  };
}
