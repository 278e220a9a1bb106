// Settings (/settings): one's profile, picture, password, mail, sessions and passkeys, the users one blocks, a
// download of one's data, and deleting one's account.
import { h, path, userLink, avatar } from '../dom.js';
import { api } from '../api.js';
import { currentUser, setCurrentUser } from '../state.js';
import { navigate } from '../router.js';
import { field, onSubmit } from '../forms.js';
import { reportError, toast } from '../toast.js';
import { uploadPicture, UploadError } from '../components/attach.js';
import { passkeysSection } from '../components/passkeylist.js';
import { profileSection, passwordSection, notificationsSection, sessionsSection } from '../components/accountsettings.js';

// avatarSection is one's picture: shown as others see it, chosen from a file (uploaded, then set with
// PUT /api/me/avatar) or removed (DELETE). The signed-in user is asked again after each change, so every
// view rendered since shows the new picture.
function avatarSection(scope) {
  const shown = h('div', { id: 'avatar-current', class: 'avatar-current' });
  const input = h('input', { type: 'file', id: 'avatar-input', accept: 'image/*', hidden: true, tabindex: '-1' });
  const choose = h('button', { type: 'button', id: 'avatar-choose' }, 'Choose a picture');
  const remove = h('button', { type: 'button', id: 'avatar-remove', class: 'secondary' }, 'Remove picture');
  const bar = h('progress', { id: 'avatar-progress', max: '1', 'aria-label': 'Uploading your picture', hidden: true });
  const status = h('p', { id: 'avatar-status', class: 'hint', role: 'status' });

  const show = () => {
    const me = currentUser();
    if (!me) return;
    shown.replaceChildren(avatar(me, { size: 'large' }), h('span', {}, me.avatar_url ? 'Your picture' : 'Your initial, until you choose a picture'));
    remove.hidden = !me.avatar_url;
  };
  const busy = (on) => {
    choose.disabled = on;
    remove.disabled = on;
  };
  const refresh = async (said) => {
    const { user } = await api.get('/api/me');
    setCurrentUser(user);
    show();
    status.textContent = said;
  };

  choose.addEventListener('click', () => input.click());
  input.addEventListener('change', async () => {
    const file = input.files[0];
    input.value = '';
    if (!file) return;
    busy(true);
    bar.hidden = false;
    bar.removeAttribute('value');
    status.textContent = 'Uploading your picture…';
    try {
      const upload = await uploadPicture(file, {
        signal: scope.signal,
        onWaiting: (waiting) => (waiting ? bar.removeAttribute('value') : (bar.value = 0)),
        onProgress: (fraction) => { bar.value = fraction; },
      });
      await api.put('/api/me/avatar', { upload_id: upload.id });
      await refresh('Your picture is set.');
    } catch (err) {
      status.textContent = '';
      if (err instanceof UploadError) toast(err.message, { kind: 'error' });
      else reportError(err);
    } finally {
      bar.hidden = true;
      busy(false);
    }
  });
  remove.addEventListener('click', async () => {
    busy(true);
    try {
      await api.del('/api/me/avatar');
      await refresh('Your picture is removed: your initial shows instead.');
    } catch (err) {
      reportError(err);
    } finally {
      busy(false);
    }
  });
  show();
  return h('section', { 'aria-labelledby': 'avatar-heading' }, h('h2', { id: 'avatar-heading' }, 'Your picture'),
    h('p', { class: 'hint' }, 'Shown beside your name everywhere: a PNG, JPEG, GIF or WebP of 10 MB at most.'),
    shown, h('div', { class: 'form-actions' }, choose, remove, input), bar, status);
}

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

    const me = await api.get('/api/me', { signal: scope.signal });
    const sessions = sessionsSection(scope);
    main.append(h('h1', {}, 'Settings'), profileSection(me.user), avatarSection(scope), passwordSection(sessions.refresh),
      notificationsSection(me.preferences), sessions.section, passkeysSection(scope),
      h('section', { 'aria-labelledby': 'blocked-heading' }, h('h2', { id: 'blocked-heading' }, 'Blocked users'),
        h('p', { class: 'hint' }, 'You do not see their posts, comments and room messages, and they cannot send you direct messages.'), blocked, noneBlocked),
      h('section', { 'aria-labelledby': 'export-heading' }, h('h2', { id: 'export-heading' }, 'Your data'),
        h('p', {}, 'Every event you made, in order, as JSON.'),
        h('p', {}, h('a', { href: '/api/me/export', download: 'forum-export.json', class: 'button', id: 'download-data' }, 'Download my data'))),
      h('section', { 'aria-labelledby': 'delete-heading' }, h('h2', { id: 'delete-heading' }, 'Delete my account'), erase));
    await showBlocks();
  },
};
