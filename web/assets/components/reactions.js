// A compact bar of reactions under a post, a comment or a chat message: the reactions it has, as chips with
// their emoji and count (pressed when one is mine; a click puts mine on or takes it off), and a "+" button that
// opens a small picker of the eight over the page. Who reacted shows in a tip under a chip on hover, focus or
// a tap (read from the list of who reacted), and the counts follow the reaction frames.
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
const EDGE = 4; // px kept between the picker or the tip and the viewport's edges
let nextPickerId = 0;

/** smiley is the icon of the button that adds a reaction: a face and a plus, drawn, so no emoji font is needed. */
function smiley() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: '20', height: '20', fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'aria-hidden': 'true', focusable: 'false' })) svg.setAttribute(k, v);
  for (const d of ['M20.5 11.5a8.5 8.5 0 1 1-7-8.4', 'M8 14.5s1.5 2 4 2 4-2 4-2', 'M9 9.5h.01', 'M15 9.5h.01', 'M19 2v6', 'M16 5h6']) {
    const part = document.createElementNS(ns, 'path');
    part.setAttribute('d', d);
    svg.append(part);
  }
  return svg;
}

/** inView shifts el (absolutely placed at its left) so that it lies inside the viewport's width. */
function inView(el, left) {
  el.style.left = `${left}px`;
  const r = el.getBoundingClientRect();
  const width = document.documentElement.clientWidth;
  if (r.right > width - EDGE) el.style.left = `${left - (r.right - (width - EDGE))}px`;
  if (el.getBoundingClientRect().left < EDGE) el.style.left = `${left + EDGE - r.left}px`;
}

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
    smiley(), hiddenText('Add a reaction'));
  const tip = h('span', { id: `${pickerId}-who`, class: 'reaction-who', role: 'tooltip', hidden: true });
  let tipFor = null; // the name of the chip whose tip shows
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
      const chip = h('button', { type: 'button', class: 'reaction-chip', 'data-name': name, 'aria-pressed': String(state.mine.has(name)), 'aria-describedby': tip.id },
        h('span', { 'aria-hidden': 'true' }, emoji), hiddenText(`${text}:`), h('span', { class: 'count' }, n));
      chip.addEventListener('click', () => {
        toggle(name);
        showWho(chip, name);
      });
      chip.addEventListener('mouseenter', () => showWho(chip, name));
      chip.addEventListener('focus', () => showWho(chip, name));
      chip.addEventListener('mouseleave', () => { if (document.activeElement !== chip) hideWho(); });
      chip.addEventListener('blur', hideWho);
      chip.addEventListener('keydown', (event) => { if (event.key === 'Escape') hideWho(); });
      return chip;
    }));
    if (tipFor) {
      const chip = chips.querySelector(`[data-name="${tipFor}"]`);
      if (chip) showWho(chip, tipFor);
      else hideWho();
    }
    for (const o of options) o.setAttribute('aria-pressed', String(state.mine.has(o.dataset.name)));
    add.hidden = !currentUser();
  }

  // showWho shows the tip of who reacted name under its chip, reading the list when first wanted.
  function showWho(chip, name) {
    tipFor = name;
    tip.textContent = who.get(name) ?? REACTIONS.find(([n]) => n === name)[2];
    tip.hidden = false;
    inView(tip, chip.offsetLeft);
    if (!who.has(name)) explain(name);
  }

  function hideWho() {
    tipFor = null;
    tip.hidden = true;
  }

  // explain finds who reacted so (the first few, then how many more), for the chip's tip.
  async function explain(name) {
    who.set(name, REACTIONS.find(([n]) => n === name)[2]);
    try {
      const page = await api.get(`${base}/reactions/${encodeURIComponent(name)}`, { query: { limit: WHO_SHOWN } });
      const names = page.items.map((u) => u.nickname);
      const rest = (state.counts[name] ?? 0) - names.length;
      const text = REACTIONS.find(([n]) => n === name)[2];
      const title = `${text}: ${names.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
      who.set(name, title);
      const shown = chips.querySelector(`[data-name="${name}"]`);
      if (tipFor === name && shown) showWho(shown, name);
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
    inView(picker, add.parentElement.offsetLeft);
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

  const el = h('div', { class: 'reactions', role: 'group', 'aria-label': label }, chips, h('span', { class: 'reaction-more' }, add), picker, tip);
  render();
  return {
    el, set, frame,
    mine: () => REACTIONS.map(([name]) => name).filter((name) => state.mine.has(name)),
    counts: () => ({ ...state.counts }),
  };
}
