// Search (/search?q=…&in=messages): posts and comments for everyone, one's own messages when signed in.
// Results come most relevant first, each with its snippet and the words searched for marked.
import { h, path, timeEl } from '../dom.js';
import { api } from '../api.js';
import { currentUser } from '../state.js';
import { navigate } from '../router.js';
import { reportError } from '../toast.js';

const PAGE = 20;

// marked is text with every occurrence of the words searched for in a <mark> (as text nodes, never HTML).
export function marked(text, q) {
  const words = q.split(/[^\p{L}\p{N}]+/u).filter(Boolean).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (words.length === 0) return [text];
  const re = new RegExp(`(${words.join('|')})`, 'giu');
  return text.split(re).map((part, i) => (i % 2 ? h('mark', {}, part) : part));
}

function resultEl(r, q) {
  const me = currentUser();
  let link;
  let where;
  switch (r.kind) {
    case 'post':
      link = h('a', { href: path('posts', r.post.id) }, r.post.title);
      where = ['Post by ', r.post.author.nickname, ' · ', timeEl(r.post.created_at)];
      break;
    case 'comment':
      link = h('a', { href: `${path('posts', r.post.id)}#comment-${r.comment.id}` }, `Comment on “${r.post.title}”`);
      where = ['by ', r.comment.author.nickname, ' · ', timeEl(r.comment.created_at)];
      break;
    case 'dm': {
      const peer = r.message.from.id === me?.id ? r.message.to : r.message.from;
      link = h('a', { href: path('chat', peer.id) }, `Chat with ${peer.nickname}`);
      where = ['from ', r.message.from.nickname, ' · ', timeEl(r.message.created_at)];
      break;
    }
    default:
      link = h('a', { href: path('rooms', r.message.room) }, `#${r.message.room}`);
      where = ['from ', r.message.from.nickname, ' · ', timeEl(r.message.created_at)];
  }
  return h('li', { class: 'search-result', 'data-kind': r.kind },
    h('h2', { class: 'search-result-title' }, link),
    h('p', { class: 'search-snippet' }, marked(r.snippet, q)),
    h('p', { class: 'muted search-where' }, where));
}

export const search = {
  name: 'search',
  async mount({ main, query, scope, setTitle }) {
    const q = (query.get('q') ?? '').trim();
    const inMessages = query.get('in') === 'messages' && currentUser() != null;
    setTitle(q ? `Search: ${q}` : 'Search');
    const input = h('input', { type: 'search', name: 'q', id: 'search-page-q', value: q, maxlength: '200', autocomplete: 'off' });
    const form = h('form', { role: 'search', class: 'inline-form search-page-form', 'aria-label': 'Search again' },
      h('label', { for: input.id, class: 'visually-hidden' }, 'Search for'), input, h('button', { type: 'submit' }, 'Search'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const next = input.value.trim();
      if (next) navigate(`/search?q=${encodeURIComponent(next)}${inMessages ? '&in=messages' : ''}`);
    });
    const tab = (label, messages) => h('a', {
      href: `/search?q=${encodeURIComponent(q)}${messages ? '&in=messages' : ''}`,
      'aria-current': messages === inMessages ? 'page' : null,
      class: 'tab',
    }, label);
    const tabs = currentUser() ? h('nav', { class: 'tabs', 'aria-label': 'What to search' }, tab('Posts and comments', false), tab('My messages', true)) : null;
    const list = h('ol', { id: 'search-results', class: 'search-results' });
    const status = h('p', { id: 'search-status', role: 'status' });
    const more = h('button', { type: 'button', class: 'link-button', hidden: true, id: 'search-more' }, 'More results');
    main.append(...[h('h1', {}, 'Search'), form, tabs, status, list, more].filter(Boolean));
    if (!q) {
      status.textContent = 'Type a few words to find posts, comments and messages.';
      return;
    }
    let next = null;
    const load = async (cursor) => {
      const page = await api.get('/api/search', { query: { q, in: inMessages ? 'messages' : undefined, limit: PAGE, cursor }, signal: scope.signal });
      list.append(...page.items.map((r) => resultEl(r, q)));
      next = page.next;
      more.hidden = next == null;
      const n = list.children.length;
      status.textContent = n === 0 ? `Nothing found for “${q}”.` : `${n}${next ? '+' : ''} ${n === 1 ? 'result' : 'results'} for “${q}”`;
    };
    more.addEventListener('click', () => load(next).catch(reportError));
    await load(undefined);
  },
};
