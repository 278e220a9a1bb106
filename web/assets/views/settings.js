// Settings (/settings): the users one blocks, a download of one's data, and deleting one's account.
import { h, path, userLink } from '../dom.js';
import { api } from '../api.js';
import { setCurrentUser } from '../state.js';
import { navigate } from '../router.js';
import { field, onSubmit } from '../forms.js';
import { reportError, toast } from '../toast.js';

export const settings = {
  name: 'settings',
  auth: true,
  async mount({ main, scope, setTitle }) {
    setTitle('Settings');
    const blocked = h('ul', { id: 'blocked-users', class: 'member-list' });
    const noneBlocked = h('p', { class: 'hint', hidden: true }, 'You block nobody.');
    const showBlocks = async () => {
      const { items } = await api.get('/api/me/blocks', { signal: scope.signal });
      blocked.replaceChildren(...items.map((u) => h('li', { class: 'member' }, userLink(u), ' ',
        h('button', { type: 'button', class: 'link-button', onclick: () => api.del(path('api', 'users', u.id, 'block')).then(showBlocks, reportError) }, 'Unblock'))));
      noneBlocked.hidden = items.length > 0;
    };

    const erase = h('form', { id: 'delete-account-form', class: 'stack danger-zone' },
      h('p', {}, h('strong', {}, 'This cannot be undone. '),
        'Your sessions end, your nickname and email become free, and everything you wrote — posts, comments and messages — shows as “[deleted]” by “deleted user”, everywhere, for good: the key that could read it is destroyed.'),
      field('Your password, to confirm', 'password', { type: 'password', autocomplete: 'current-password', required: true }),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'danger' }, 'Delete my account')));
    onSubmit(erase, async (data) => {
      await api.del('/api/me', { body: { password: data.get('password') } });
      setCurrentUser(null);
      toast('Your account is deleted.');
      navigate('/', { replace: true });
    });

    main.append(h('h1', {}, 'Settings'),
      h('section', { 'aria-labelledby': 'blocked-heading' }, h('h2', { id: 'blocked-heading' }, 'Blocked users'),
        h('p', { class: 'hint' }, 'You do not see their posts, comments and room messages, and they cannot send you direct messages.'), blocked, noneBlocked),
      h('section', { 'aria-labelledby': 'export-heading' }, h('h2', { id: 'export-heading' }, 'Your data'),
        h('p', {}, 'Every event you made, in order, as JSON.'),
        h('p', {}, h('a', { href: '/api/me/export', download: 'forum-export.json', class: 'button', id: 'download-data' }, 'Download my data'))),
      h('section', { 'aria-labelledby': 'delete-heading' }, h('h2', { id: 'delete-heading' }, 'Delete my account'), erase));
    await showBlocks();
  },
};
