// The view for URLs that name nothing.
import { h } from '../dom.js';

export const notFound = {
  name: 'notfound',
  mount({ main, setTitle }) {
    setTitle('Not found');
    main.append(
      h('h1', {}, 'Not found'),
      h('p', {}, 'There is nothing here. It may have been removed, or the link may be wrong.'),
      h('p', {}, h('a', { href: '/' }, 'Back to the feed')));
  },
};
