// DOM helpers. Text always goes in as text nodes (Element.append with strings), never as HTML.

/**
 * h creates an element. props: attribute values (true = present, false/null = absent), `value`
 * (set as the property, after the children so a <select> can take it) and on<event> functions.
 * children: nodes, strings and numbers (as text), arrays of them; null and false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false || key === 'value') continue;
    if (typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  if (props.value != null) el.value = props.value;
  return el;
}

/** path joins URL path segments, encoding each: path('posts', id) is "/posts/<id>". */
export function path(...segments) {
  return '/' + segments.map((s) => encodeURIComponent(s)).join('/');
}

const AVATAR_COLOURS = 12;
// The one address an avatar may have: the thumbnail of one of this forum's pictures.
const AVATAR_URL = /^\/media\/[0-9a-z]{26}\/thumb$/;
const AVATAR_PX = { small: 24, large: 44 };

/**
 * avatar is a user's picture: the one they chose (avatar_url), else their initial on a colour picked from
 * their id. It is decoration beside the nickname: hidden from assistive technology (an empty alt), the
 * initial drawn by CSS (data-initial) so it adds nothing to the text around it.
 */
export function avatar(user, { size = 'small' } = {}) {
  if (typeof user.avatar_url === 'string' && AVATAR_URL.test(user.avatar_url)) {
    const px = AVATAR_PX[size] ?? AVATAR_PX.small;
    return h('img', { class: `avatar avatar-${size} avatar-picture`, src: user.avatar_url, alt: '', width: px, height: px, loading: 'lazy', decoding: 'async' });
  }
  let hash = 0;
  for (const ch of user.id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const initial = [...(user.nickname || '?')][0].toUpperCase();
  return h('span', { class: `avatar avatar-${size} avatar-c${hash % AVATAR_COLOURS}`, 'data-initial': initial, 'aria-hidden': 'true' });
}

/** userLink is a link to a user's profile, labelled with the nickname. */
export function userLink(user) {
  return h('a', { href: path('users', user.id), class: 'user-link' }, user.nickname);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });

const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const dayOnly = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** ago is how long ago when was, in words ("just now", "5 minutes ago", "yesterday"); a date past a week. */
export function ago(when, now = Date.now()) {
  const s = Math.round((when.getTime() - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return 'just now';
  if (abs < 3600) return relative.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(s / 3600), 'hour');
  if (abs < 7 * 86400) return relative.format(Math.round(s / 86400), 'day');
  return dateTime.format(when);
}

const shortDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const shortDateYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

/** agoCompact is how long ago when was, tersely, as lists of topics say it: "now", "3m", "2h", "5d", then a date. */
export function agoCompact(when, now = Date.now()) {
  const s = Math.max(0, Math.round((now - when.getTime()) / 1000));
  if (s < 60) return 'now';
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  if (s < 30 * 86400) return `${Math.floor(s / 86400)}d`;
  return (when.getFullYear() === new Date(now).getFullYear() ? shortDate : shortDateYear).format(when);
}

/**
 * timeEl is a <time> with the ISO instant in datetime, the exact local time on hover (title), and as
 * its text how long ago it was (kept current; tersely with compact: true), or the date alone with date: true.
 */
export function timeEl(iso, { date = false, compact = false } = {}) {
  const when = new Date(iso);
  if (date) return h('time', { datetime: iso, title: exact.format(when) }, dateOnly.format(when));
  if (compact) return h('time', { datetime: iso, title: exact.format(when), 'data-relative': 'compact' }, agoCompact(when));
  return h('time', { datetime: iso, title: exact.format(when), 'data-relative': '' }, ago(when));
}

// One timer for the whole page keeps every relative time current.
setInterval(() => {
  if (document.visibilityState !== 'visible') return;
  for (const el of document.querySelectorAll('time[data-relative]')) {
    el.textContent = (el.dataset.relative === 'compact' ? agoCompact : ago)(new Date(el.dateTime));
  }
}, 30_000);

/** sameDay tells whether two instants fall on the same local day. */
export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** dayLabel names a local day: "Today", "Yesterday", or the date. */
export function dayLabel(when, now = new Date()) {
  if (sameDay(when, now)) return 'Today';
  const y = new Date(now);
  y.setDate(y.getDate() - 1);
  if (sameDay(when, y)) return 'Yesterday';
  return dayOnly.format(when);
}

/** count renders "1 like" / "3 likes". */
export function count(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** hiddenText is text for assistive technology only. */
export function hiddenText(text) {
  return h('span', { class: 'visually-hidden' }, text);
}

// A Markdown image or link, ![alt](address) or [text](address): its text is what an excerpt shows of it.
const MARKDOWN_LINK = /!?\[([^\]\n]{0,200})\]\([^)\s]{0,2000}\)/g;

/** plainText is Markdown as words: pictures and links as their text, the marks of emphasis, code, quotes and tables gone. */
export function plainText(markdown) {
  return markdown.replace(MARKDOWN_LINK, '$1').replace(/[*_`#>~[\]|]/g, '');
}

/** excerpt shortens text to at most n characters, on one line. */
export function excerpt(text, n) {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > n ? `${line.slice(0, n - 1)}…` : line;
}

/** uuid returns a random RFC 4122 version 4 UUID (crypto.randomUUID needs a secure context; this does not). */
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** REMOVED is what a deleted post or comment shows in place of its text. */
export const REMOVED = '[removed]';
