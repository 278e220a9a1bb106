// The passkeys section of settings: one's passkeys (name, when added or last used, Remove) and a form that adds one,
// named, through the browser's authenticator.
import { h, path, timeEl } from '../dom.js';
import { api, ApiError } from '../api.js';
import { field, onSubmit } from '../forms.js';
import { reportError, toast } from '../toast.js';
import { addPasskey, passkeysSupported, reportPasskeyError } from '../passkeys.js';

/** passkeysSection is the section, which lists the signed-in user's passkeys as soon as it is made. */
export function passkeysSection(scope) {
  const list = h('ul', { id: 'passkey-list', class: 'member-list' });
  const none = h('p', { class: 'hint', hidden: true }, 'You have no passkey yet.');
  const show = async () => {
    const { items } = await api.get('/api/me/passkeys', { signal: scope.signal });
    list.replaceChildren(...items.map((k) => h('li', { class: 'member passkey', 'data-passkey': k.id },
      h('span', { class: 'passkey-name' }, k.name), ' ',
      h('span', { class: 'hint' }, k.last_used_at ? ['last used ', timeEl(k.last_used_at)] : ['added ', timeEl(k.created_at)]), ' ',
      h('button', { type: 'button', class: 'link-button', 'aria-label': `Remove the passkey ${k.name}`,
        onclick: () => api.del(path('api', 'me', 'passkeys', k.id)).then(show, reportError) }, 'Remove'))));
    none.hidden = items.length > 0;
  };
  const form = h('form', { id: 'add-passkey-form', class: 'inline-form' },
    field('Name of the new passkey (optional)', 'name', { maxlength: '64', autocomplete: 'off' }),
    h('button', { type: 'submit', disabled: !passkeysSupported() }, 'Add a passkey'));
  onSubmit(form, async (data) => {
    try {
      await addPasskey(data.get('name').trim());
    } catch (err) {
      if (err instanceof ApiError) throw err;
      reportPasskeyError(err);
      return;
    }
    form.reset();
    toast('Passkey added: you can sign in with it alone.');
    await show();
  });
  show().catch(reportError);
  return h('section', { 'aria-labelledby': 'passkeys-heading' }, h('h2', { id: 'passkeys-heading' }, 'Passkeys'),
    h('p', { class: 'hint' }, 'A passkey signs you in with this device’s screen lock or a security key instead of your password.'),
    list, none, form);
}
