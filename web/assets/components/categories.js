// The forum's categories as lists show them: each its name and a colour of its own. The colours are given in
// the categories' order from a palette (a category's own colour, when the server gives one, wins), so no two of
// the first twelve share one.
import { h, path } from '../dom.js';
import { api } from '../api.js';

const PALETTE = 12; // classes .cat-c0 … .cat-c11
const known = new Map(); // slug → {name, index, color}
let loading = null;

/** setCategories takes the list of GET /api/categories, in its order. */
export function setCategories(items) {
  items.forEach((c, index) => known.set(c.slug, { name: c.name, index, color: c.color }));
}

/**
 * fetchCategories reads GET /api/categories afresh (its counts are of now) and resolves to it; a list that shows
 * meanwhile waits for it instead of asking again.
 */
export function fetchCategories(options) {
  const response = api.get('/api/categories', options);
  loading = response.then((r) => setCategories(r.items), () => { loading = null; });
  return response;
}

/** loadCategories resolves once the categories are known (read once a page load; a failure leaves slugs shown). */
export function loadCategories() {
  if (known.size > 0) return Promise.resolve();
  if (!loading) fetchCategories();
  return loading;
}

function hashed(slug) {
  let hash = 0;
  for (const ch of slug) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash;
}

/** categoryDot is the square of a category's colour, decoration beside its name. */
export function categoryDot(slug) {
  const c = known.get(slug);
  const dot = h('span', { class: `cat-dot cat-c${(c ? c.index : hashed(slug)) % PALETTE}`, 'aria-hidden': 'true' });
  if (c?.color) dot.style.backgroundColor = c.color;
  return dot;
}

/** categoryName is a category's name (its slug until the categories are known). */
export const categoryName = (slug) => known.get(slug)?.name ?? slug;

/** categoryLink is a category's name beside its colour. */
export const categoryLink = (slug) =>
  h('a', { href: path('c', slug), class: 'cat-link', 'data-slug': slug }, categoryDot(slug), categoryName(slug));
