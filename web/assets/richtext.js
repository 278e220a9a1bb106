// The one place HTML enters the page: a body's body_html, rendered from Markdown and sanitized by the
// server. The page's Content-Security-Policy requires Trusted Types, and this module owns the only
// policy it allows ("forum-body"), so no other code can set HTML at all. The HTML is parsed into an
// inert <template> (nothing in it runs or loads), checked against the same short list of elements and
// attributes the server's sanitizer allows, and only then moved into the page.

const ALLOWED = new Map([
  ...'p br hr em strong del code pre blockquote ul ol li h1 h2 h3 h4 h5 h6'.split(' ').map((t) => [t.toUpperCase(), []]),
  ['A', ['href', 'rel']],
  ['OL', ['start']],
]);
const SCHEMES = new Set(['http:', 'https:', 'mailto:']);
// The one relative link a body keeps: a post's page, at a comment or not.
const POST_LINK = /^\/posts\/[0-9a-z]+(\?comment=[0-9a-z]+)?$/;

const policy = globalThis.trustedTypes?.createPolicy('forum-body', { createHTML: (html) => html });

/** clean removes, in place, every element, attribute and link the allow list does not name. */
function clean(root) {
  for (const el of [...root.querySelectorAll('*')]) {
    const attrs = ALLOWED.get(el.tagName);
    if (!attrs) {
      el.replaceWith(...(el.tagName === 'SCRIPT' || el.tagName === 'STYLE' ? [] : el.childNodes));
      continue;
    }
    for (const { name } of [...el.attributes]) if (!attrs.includes(name)) el.removeAttribute(name);
    if (el.tagName === 'A') {
      let scheme = '';
      try { scheme = new URL(el.getAttribute('href') ?? '').protocol; } catch { /* not a URL */ }
      if (!SCHEMES.has(scheme) && !POST_LINK.test(el.getAttribute('href') ?? '')) el.removeAttribute('href');
      el.setAttribute('rel', 'nofollow ugc noopener');
    }
  }
}

/** setRichText replaces el's children with the rendering html (a body_html from the server). */
export function setRichText(el, html) {
  const template = document.createElement('template');
  template.innerHTML = policy ? policy.createHTML(html) : html;
  clean(template.content);
  el.replaceChildren(template.content);
}

/** richText is a new element of the given tag and class showing html. */
export function richText(tag, className, html) {
  const el = document.createElement(tag);
  el.className = `${className} rich-text`;
  setRichText(el, html);
  return el;
}
