// A menu button: a button (aria-haspopup, aria-expanded) that opens a list of actions below it, kept inside the
// viewport. Arrows move between the actions, Home and End to the ends, Escape closes it and gives the focus back
// to the button, and a click outside or the focus leaving closes it.
import { h } from '../dom.js';

let nextMenuId = 0;
const EDGE = 4; // px kept between a menu and the viewport's edges

/**
 * menuButton returns {el, button, menu, close}. label: the button's content (nodes or text); title: its
 * accessible name when the content is an icon; items: [{label, onSelect, id, class, checked, hint}] (checked:
 * a menuitemradio, pressed when true; hint: a line of explanation under the label); cls: the wrapper's class.
 */
export function menuButton({ label, title, items, cls = '', id }) {
  const menuId = `menu-${++nextMenuId}`;
  const button = h('button', { type: 'button', id, class: 'menu-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': menuId, 'aria-label': title, title }, label);
  const menu = h('ul', { id: menuId, class: 'menu', role: 'menu', 'aria-label': title ?? button.textContent, hidden: true });
  const entries = items.filter(Boolean).map((item) => {
    const role = item.checked === undefined ? 'menuitem' : 'menuitemradio';
    const entry = h('button', { type: 'button', role, id: item.id, class: `menu-item ${item.class ?? ''}`, tabindex: '-1', 'aria-checked': item.checked === undefined ? null : String(item.checked) },
      h('span', { class: 'menu-label' }, item.label), item.hint && h('span', { class: 'menu-hint' }, item.hint));
    entry.addEventListener('click', () => {
      close(true);
      item.onSelect?.(entry);
    });
    menu.append(h('li', { role: 'none' }, entry));
    return entry;
  });
  const el = h('div', { class: `menu-wrap ${cls}` }, button, menu);

  function place() {
    menu.style.left = '';
    menu.style.right = '0px';
    const r = menu.getBoundingClientRect();
    const width = document.documentElement.clientWidth;
    if (r.left < EDGE) menu.style.right = `${r.left - EDGE}px`;
    else if (r.right > width - EDGE) menu.style.right = `${r.right - (width - EDGE)}px`;
  }

  function open(at = 0) {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    place();
    const shown = entries.filter((e) => e.offsetParent !== null);
    shown[(at + shown.length) % shown.length]?.focus();
    document.addEventListener('pointerdown', outside, true);
  }

  function close(refocus) {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (refocus) button.focus();
  }

  function outside(event) {
    if (!el.contains(event.target)) close(false);
  }

  button.addEventListener('click', () => (menu.hidden ? open() : close(true)));
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      open(event.key === 'ArrowDown' ? 0 : -1);
    }
  });
  menu.addEventListener('keydown', (event) => {
    const shown = entries.filter((e) => e.offsetParent !== null); // an item a style hides is skipped
    const at = shown.indexOf(document.activeElement);
    const go = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: shown.length - 1 }[event.key];
    if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'Tab') {
      close(false);
    } else if (go !== undefined) {
      event.preventDefault();
      shown[(go + shown.length) % shown.length]?.focus();
    }
  });
  menu.addEventListener('focusout', (event) => {
    if (event.relatedTarget && !el.contains(event.relatedTarget)) close(false);
  });
  return { el, button, menu, entries, close };
}
