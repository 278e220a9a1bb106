// The History API router: real <a href> links are intercepted, each route mounts a view into a fresh <main>.
//
// A view is {name, auth?, guest?, prefetch?(params), mount(ctx)}. mount builds the page into ctx.main, awaits its first data
// and may return {update(params), snapshot()}: update takes a new URL of the same view without being mounted again;
// snapshot() is what the view wants back when the user returns to this history entry (Back), as ctx.restored. It
// throws to fail; an ApiError 404 shows the not-found view. `auth` views need a signed-in user, `guest` ones
// (sign in, sign up) a signed-out one.
import { h } from './dom.js';
import { resetSeenSeq, seenSeq } from './api.js';
import { currentUser } from './state.js';
import { Scope } from './scope.js';
import { reportError } from './toast.js';
import { setPageTitle } from './title.js';

let routes = [];
let notFound = null;
let rendered = () => {};
let current = null;

// Going Back shows a page as it was left: its scroll position and what the view kept (its snapshot), per
// history entry, for the last MAX_REMEMBERED entries.
const MAX_REMEMBERED = 50;
const remembered = new Map(); // history entry key → {scrollY, snapshot}
let shownKey = null;
let nextKey = 0;
const newKey = () => `${Date.now().toString(36)}-${++nextKey}`;

function remember() {
  if (!shownKey || !current) return;
  remembered.delete(shownKey);
  remembered.set(shownKey, { scrollY, snapshot: current.instance?.snapshot?.() ?? null });
  while (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value);
}

/**
 * start routes the current URL and every later navigation. table: [pattern, view] pairs, patterns like
 * '/posts/:id'; notFoundView: the view for everything else; onRendered(pathname, seq) runs after each
 * view has loaded, with the lowest stream sequence its HTTP responses carried (or null).
 */
export function start(table, { notFoundView, onRendered }) {
  routes = compile(table);
  notFound = notFoundView;
  rendered = onRendered;
  history.scrollRestoration = 'manual';
  addEventListener('popstate', () => {
    remember();
    render(false, true);
  });
  document.addEventListener('click', intercept);
  render(false);
}

/**
 * prefetch starts the first requests of the view at the current URL, if it names them (view.prefetch(params)),
 * before the app knows who is signed in; the view's own requests then take the answers over.
 */
export function prefetch(table) {
  const m = matchIn(compile(table), location.pathname);
  m?.view.prefetch?.(m.params);
}

/** navigate shows path (with its query), adding a history entry unless replace is set. */
export function navigate(path, { replace = false } = {}) {
  const here = location.pathname + location.search;
  remember();
  if (replace || path === here) history.replaceState({ key: history.state?.key ?? newKey() }, '', path);
  else history.pushState({ key: newKey() }, '', path);
  render(!replace);
}

/** reload mounts the current view again, reloading its data. */
export function reload() {
  current?.scope.dispose();
  current = null;
  render(false);
}

function intercept(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download') || link.getAttribute('href').startsWith('#')) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}

function compile(table) {
  return table.map(([pattern, view]) => {
    const keys = [];
    const source = pattern.replace(/:(\w+)/g, (_, key) => {
      keys.push(key);
      return '([^/]+)';
    });
    return { regex: new RegExp(`^${source}$`), keys, view };
  });
}

// matchIn finds the view of pathname and its params, or null.
function matchIn(compiled, pathname) {
  for (const { regex, keys, view } of compiled) {
    const m = regex.exec(pathname);
    if (!m) continue;
    try {
      return { view, params: Object.fromEntries(keys.map((key, i) => [key, decodeURIComponent(m[i + 1])])) };
    } catch {
      return null; // a malformed escape names nothing
    }
  }
  return null;
}

function match(pathname) {
  return matchIn(routes, pathname) ?? { view: notFound, params: {} };
}

function context(main, params, query, restored = null) {
  const scope = new Scope();
  const setTitle = (title) => {
    if (!scope.disposed) setPageTitle(title);
  };
  return { main, params, query, scope, setTitle, restored };
}

async function render(focus, back = false) {
  const url = new URL(location.href);
  if (!history.state?.key) history.replaceState({ ...history.state, key: newKey() }, '');
  shownKey = history.state.key;
  const restored = back ? remembered.get(shownKey) ?? null : null;
  const { view, params } = match(url.pathname);
  if (view.auth && !currentUser()) {
    navigate(`/signin?next=${encodeURIComponent(url.pathname + url.search)}`, { replace: true });
    return;
  }
  if (view.guest && currentUser()) {
    navigate('/', { replace: true });
    return;
  }
  if (current?.view === view && current.instance?.update) {
    current.instance.update(params);
    rendered(url.pathname, null);
    return;
  }

  current?.scope.dispose();
  const main = h('main', { id: 'main', tabindex: '-1', 'data-view': view.name });
  document.getElementById('main').replaceWith(main);
  setPageTitle('');
  if (focus) {
    scrollTo(0, 0);
    main.focus({ preventScroll: true });
  }
  let ctx = context(main, params, url.searchParams, restored);
  const entry = { view, scope: ctx.scope, instance: null };
  current = entry;
  resetSeenSeq();
  try {
    entry.instance = (await view.mount(ctx)) ?? null;
    if (ctx.scope.disposed) return;
    ctx.scope.ready();
    if (restored) scrollTo(0, restored.scrollY);
  } catch (err) {
    if (ctx.scope.disposed) return;
    ctx.scope.dispose();
    main.replaceChildren();
    ctx = context(main, params, url.searchParams);
    entry.scope = ctx.scope;
    if (err?.status === 404) {
      main.dataset.view = notFound.name;
      notFound.mount(ctx);
    } else {
      reportError(err);
      showFailure(ctx, err);
    }
  }
  rendered(url.pathname, seenSeq());
}

function showFailure({ main, setTitle }, err) {
  setTitle('Error');
  const retry = h('button', { type: 'button' }, 'Try again');
  retry.addEventListener('click', reload);
  main.append(h('h1', {}, 'This page could not be loaded'), h('p', {}, err?.message ?? ''), retry);
}
