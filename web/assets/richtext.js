// The one place HTML enters the page: a body's body_html, rendered from Markdown and sanitized by the
// server. The page's Content-Security-Policy requires Trusted Types, and this module owns the only
// policy it allows ("forum-body"), so no other code can set HTML at all. The HTML is parsed into an
// inert <template> (nothing in it runs or loads), checked against the same short list of elements and
// attributes the server's sanitizer allows (projections/markdown.go), and only then moved into the page.

const ALLOWED = new Map([
  ...'p br hr em strong del code pre blockquote ul ol li h1 h2 h3 h4 h5 h6 table thead tbody tr'.split(' ').map((t) => [t.toUpperCase(), []]),
  ['A', ['href', 'rel']],
  ['OL', ['start']],
  ['TH', ['align']],
  ['TD', ['align']],
  ['IMG', ['src', 'alt', 'width', 'height', 'loading']],
]);
const SCHEMES = new Set(['http:', 'https:', 'mailto:']);
// The one relative link a body keeps: a post's page, at a comment or not.
const POST_LINK = /^\/posts\/[0-9a-z]{1,40}(\?comment=[0-9a-z]{1,40})?$/;
// The one image a body shows: a picture of this forum.
const MEDIA_SRC = /^\/media\/[0-9a-z]{26}$/;
const ALIGN = /^(left|center|right)$/;
const SIZE = /^[0-9]{1,5}$/;

const policy = globalThis.trustedTypes?.createPolicy('forum-body', { createHTML: (html) => html });

// linkable tells whether href is an address a body may link to.
function linkable(href) {
  let scheme = '';
  try { scheme = new URL(href).protocol; } catch { /* not an absolute URL */ }
  return SCHEMES.has(scheme) || POST_LINK.test(href);
}

// unshown is what an image that is not one of this forum's pictures shows instead, as the server renders
// it: a link to its address with its alt text (the address when it has none), or the text alone.
function unshown(img) {
  const src = img.getAttribute('src') ?? '';
  const text = img.getAttribute('alt') || src;
  if (!linkable(src)) return [text];
  const a = document.createElement('a');
  a.setAttribute('href', src);
  a.setAttribute('rel', 'nofollow ugc noopener');
  a.textContent = text;
  return [a];
}

/** clean removes, in place, every element, attribute and link the allow list does not name. */
function clean(root) {
  for (const el of [...root.querySelectorAll('*')]) {
    const attrs = ALLOWED.get(el.tagName);
    if (!attrs) {
      el.replaceWith(...(el.tagName === 'SCRIPT' || el.tagName === 'STYLE' ? [] : el.childNodes));
      continue;
    }
    if (el.tagName === 'IMG' && !MEDIA_SRC.test(el.getAttribute('src') ?? '')) {
      el.replaceWith(...unshown(el));
      continue;
    }
    for (const { name, value } of [...el.attributes]) {
      const bad = !attrs.includes(name) || (name === 'align' && !ALIGN.test(value)) ||
        ((name === 'width' || name === 'height') && !SIZE.test(value));
      if (bad) el.removeAttribute(name);
    }
    if (el.tagName === 'IMG') el.setAttribute('loading', 'lazy');
    if (el.tagName === 'A') {
      if (!linkable(el.getAttribute('href') ?? '')) el.removeAttribute('href');
      el.setAttribute('rel', 'nofollow ugc noopener');
    }
  }
}

/** setRichText replaces el's children with the rendering html (a body_html from the server). */
export function setRichText(el, html) {
  const template = document.createElement('template');
  template.innerHTML = policy ? policy.createHTML(html) : html;
  clean(template.content);
  framePictures(template.content);
  el.replaceChildren(template.content);
}

// framePictures makes each picture that is not in a link already a link to itself (a.picture-link), which
// opens it large (components/lightbox.js) and reaches it from the keyboard.
function framePictures(root) {
  for (const img of root.querySelectorAll('img')) {
    if (img.closest('a')) continue;
    const a = document.createElement('a');
    a.className = 'picture-link';
    a.setAttribute('href', img.getAttribute('src'));
    if (!img.getAttribute('alt')) a.setAttribute('aria-label', 'Picture');
    img.replaceWith(a);
    a.append(img);
  }
}

/** richText is a new element of the given tag and class showing html. */
export function richText(tag, className, html) {
  const el = document.createElement(tag);
  el.className = `${className} rich-text`;
  setRichText(el, html);
  return el;
}
