// A reader's own marks on posts and categories: the bookmark toggle (aria-pressed says whether the post is
// bookmarked) and the watch-level control (Watching, Normal or Muted, each with a line saying what it does).
import { h, path, hiddenText } from '../dom.js';
import { api } from '../api.js';
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

/**
 * watchControl returns a labelled select of the watch level at url (PUT {level}) with a line explaining the level
 * chosen. what: 'post' or 'category' (category: its slug); level: the reader's level now; id: the select's id.
 */
export function watchControl({ url, what, level, id, onChange, category }) {
  let current = level ?? 'normal';
  const help = h('p', { class: 'watch-help', id: `${id}-help` });
  const select = h('select', { id, class: 'watch-select', 'aria-describedby': `${id}-help` },
    Object.entries(NAMES).map(([value, name]) => h('option', { value }, name)));
  select.value = current;
  const render = () => { help.textContent = LEVELS[what][current]; };
  select.addEventListener('change', async () => {
    const wanted = select.value;
    select.disabled = true;
    try {
      await api.put(url, { level: wanted });
      current = wanted;
      if (category) categoryLevels.set(category, Promise.resolve(current));
      onChange?.(current);
    } catch (err) {
      select.value = current;
      reportError(err);
    } finally {
      select.disabled = false;
      render();
    }
  });
  render();
  return h('div', { class: 'watch-control' },
    h('label', { for: id }, what === 'post' ? 'Notifications for this post' : 'Notifications for this category'), ' ', select, help);
}
