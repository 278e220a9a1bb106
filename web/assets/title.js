// The document title: the page's own, after the count of unread notifications and messages: "(3) Post · Forum".

const SITE = 'Forum';
let page = '';
let unread = 0;

function render() {
  const base = page ? `${page} · ${SITE}` : SITE;
  document.title = unread > 0 ? `(${unread}) ${base}` : base;
}

/** setPageTitle sets the page's part of the title ('' for the site's name alone). */
export function setPageTitle(title) {
  page = title;
  render();
}

/** setUnreadCount sets the count shown before the title (0 for none). */
export function setUnreadCount(n) {
  unread = n;
  render();
}
