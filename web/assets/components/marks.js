// A reader's own marks on posts and categories: the bookmark toggle (aria-pressed says whether the post is
// bookmarked) and the watch-level control (Watching, Normal or Muted, each with a line saying what it does).
import { h, path, hiddenText } from '../dom.js';
import { api } from '../api.js';
import { menuButton } from './menu.js';
import { reportError } from '../toast.js';
import { on } from '../state.js';

// The reader's levels on categories, by slug (each a promise of the level), read when first needed.
const categoryLevels = new Map();
on('me', () => categoryLevels.clear());

/** categoryLevel resolves to the signed-in reader's level on the category slug. */
export function categoryLevel(slug) {
  if (!categoryLevels.has(slug)) {
    const level = api.get(path('api', 'categories', slug, 'watch')).then((r) => r.level, () => 'normal');
    categoryLevels.set(slug, level);
  }
  return categoryLevels.get(slug);
}

/** mutedByCategory resolves to whether the reader's feed leaves post out for its categories: one muted, none watched. */
export async function mutedByCategory(post) {
  const levels = await Promise.all(post.categories.map(categoryLevel));
  return levels.includes('muted') && !levels.includes('watching');
}

/**
 * bookmarkButton returns a button.bookmark-toggle for post ({id, title, bookmarked}), a filled star when it is
 * bookmarked and an outlined one when not, named with the post's title (in a list there are many such buttons);
 * onChange(bookmarked) follows each change once stored.
 */
export function bookmarkButton(post, { id, onChange } = {}) {
  let on = Boolean(post.bookmarked);
  let busy = false;
  const label = h('span', {});
  const star = h('span', { 'aria-hidden': 'true', class: 'star' });
  const el = h('button', { type: 'button', id, class: 'bookmark-toggle', 'aria-pressed': 'false' },
    star, label, post.title && hiddenText(` “${post.title}”`));
  const render = () => {
    el.setAttribute('aria-pressed', String(on));
    star.textContent = on ? '★ ' : '☆ ';
    label.textContent = on ? 'Bookmarked' : 'Bookmark';
  };
  el.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    try {
      const url = path('api', 'posts', post.id, 'bookmark');
      if (on) await api.del(url);
      else await api.put(url, {});
      on = !on;
      render();
      onChange?.(on);
    } catch (err) {
      reportError(err);
    } finally {
      busy = false;
    }
  });
  render();
  return el;
}

const LEVELS = {
  post: {
    watching: 'You are told of every new comment.',
    normal: 'You are told when someone mentions you or replies to you.',
    muted: 'You are told of nothing here, and the post leaves your lists.',
  },
  category: {
    watching: 'You are told of every new post in this category.',
    normal: 'Its posts show as usual; you are told of mentions and replies.',
    muted: 'Its posts leave your feed (they stay here), and you are told of nothing in them.',
  },
};
const NAMES = { watching: 'Watching', normal: 'Normal', muted: 'Muted' };

/** bell is the icon of the watch control, drawn so no emoji font is needed. */
function bell() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: '18', height: '18', fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false' })) svg.setAttribute(k, v);
  for (const d of ['M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9', 'M10.3 21a1.94 1.94 0 0 0 3.4 0']) {
    const part = document.createElementNS(ns, 'path');
    part.setAttribute('d', d);
    svg.append(part);
  }
  return svg;
}

/**
 * watchControl returns a compact button (a bell and the level now) opening a menu of the watch levels at url
 * (PUT {level}), each with a line saying what it does. what: 'post' or 'category' (category: its slug); level:
 * the reader's level now; id: the button's id (its data-level is the level stored); onChange(level) follows changes.
 */
export function watchControl({ url, what, level, id, onChange, category }) {
  let current = level ?? 'normal';
  let busy = false;
  const name = h('span', { class: 'watch-level' });
  const title = what === 'post' ? 'Notifications for this post' : 'Notifications for this category';
  const choose = async (wanted) => {
    if (busy || wanted === current) return;
    busy = true;
    menu.button.setAttribute('aria-busy', 'true');
    try {
      await api.put(url, { level: wanted });
      current = wanted;
      if (category) categoryLevels.set(category, Promise.resolve(current));
      onChange?.(current);
    } catch (err) {
      reportError(err);
    } finally {
      busy = false;
      menu.button.removeAttribute('aria-busy');
      render();
    }
  };
  const menu = menuButton({
    id, cls: 'watch-control', title, label: [bell(), name],
    items: Object.entries(NAMES).map(([value, label]) => ({ id: `${id}-${value}`, label, hint: LEVELS[what][value], checked: value === current, onSelect: () => choose(value) })),
  });
  function render() {
    name.textContent = NAMES[current];
    menu.button.dataset.level = current;
    menu.button.setAttribute('aria-label', `${title}: ${NAMES[current]}`);
    menu.button.title = `${title}: ${LEVELS[what][current]}`;
    for (const entry of menu.entries) entry.setAttribute('aria-checked', String(entry.id === `${id}-${current}`));
  }
  render();
  return menu.el;
}
