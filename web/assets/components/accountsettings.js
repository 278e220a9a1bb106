// The account sections of settings: one's profile (names, age, gender, bio), password, mail about what concerns
// one, and sessions. Each form says what came of it in a status line of its own; a field the server refuses shows
// its message beside it.
import { h, path, timeEl } from '../dom.js';
import { api } from '../api.js';
import { setCurrentUser } from '../state.js';
import { field, onSubmit } from '../forms.js';
import { reportError } from '../toast.js';

const BIO_MAX = 1000;

// statusLine is the polite live region a form reports its outcome in.
function statusLine(id) {
  return h('p', { id, class: 'form-status', role: 'status' });
}

// said puts text in status, marked as a success or not.
function said(status, text, ok = true) {
  status.textContent = text;
  status.classList.toggle('form-status-ok', ok);
}

// guarded runs action, saying in status when it fails (the field errors go beside their fields too).
async function guarded(status, action) {
  said(status, '');
  try {
    await action();
  } catch (err) {
    said(status, err?.field ? 'Nothing was changed: see the message by the field.' : err?.message || 'That did not work.', false);
    throw err;
  }
}

/** profileSection edits the signed-in user's names, age, gender and bio (PATCH /api/me). */
export function profileSection(user) {
  const status = statusLine('profile-status');
  const bio = h('textarea', { rows: '5', maxlength: String(BIO_MAX), value: user.bio ?? '' });
  const left = h('p', { class: 'hint', id: 'bio-left', 'aria-live': 'polite' });
  const count = () => { left.textContent = `${BIO_MAX - [...bio.value].length} characters left`; };
  bio.addEventListener('input', count);
  count();
  const genders = h('datalist', { id: 'settings-gender-options' }, ['female', 'male', 'non-binary'].map((g) => h('option', { value: g })));
  const form = h('form', { id: 'profile-form', class: 'stack' },
    field('First name', 'first_name', { autocomplete: 'given-name', maxlength: '64', value: user.first_name ?? '' }),
    field('Last name', 'last_name', { autocomplete: 'family-name', maxlength: '64', value: user.last_name ?? '' }),
    field('Age', 'age', { type: 'number', inputmode: 'numeric', min: '0', max: '150', value: user.age ? String(user.age) : '' }),
    field('Gender', 'gender', { list: genders.id, maxlength: '64', value: user.gender ?? '' }),
    genders,
    field('Bio (shown on your profile to everyone)', 'bio', { control: bio }), left,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Save profile')), status);
  onSubmit(form, (data) => guarded(status, async () => {
    const age = data.get('age').trim();
    const body = { first_name: data.get('first_name').trim(), last_name: data.get('last_name').trim(), gender: data.get('gender').trim(),
      age: age === '' ? 0 : Number(age), bio: data.get('bio') };
    if (!Number.isInteger(body.age)) body.age = age; // the server names the field
    const { user: saved } = await api.patch('/api/me', body);
    setCurrentUser(saved);
    said(status, 'Your profile is saved.');
  }));
  return h('section', { 'aria-labelledby': 'profile-heading' }, h('h2', { id: 'profile-heading' }, 'Profile'),
    h('p', { class: 'hint' }, 'Your names, age and gender are yours alone; your bio shows on your profile.'), form);
}

/** passwordSection changes the password (PUT /api/me/password); the other sessions end. */
export function passwordSection(onChanged) {
  const status = statusLine('password-status');
  const form = h('form', { id: 'password-form', class: 'stack' },
    field('Current password', 'current_password', { type: 'password', autocomplete: 'current-password', required: true }),
    field('New password (at least 8 characters)', 'password', { type: 'password', autocomplete: 'new-password', required: true, minlength: '8' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Change password')), status);
  onSubmit(form, (data) => guarded(status, async () => {
    await api.put('/api/me/password', { current_password: data.get('current_password'), password: data.get('password') });
    form.reset();
    said(status, 'Your password is changed. You are signed out everywhere else.');
    onChanged?.();
  }));
  return h('section', { 'aria-labelledby': 'password-heading' }, h('h2', { id: 'password-heading' }, 'Password'),
    h('p', { class: 'hint' }, 'Changing it signs you out of every other browser and device.'), form);
}

const MAIL_CHOICES = [
  ['immediately', 'As it happens', 'Mentions, replies and direct messages while you are away, at most one mail every 15 minutes.'],
  ['daily', 'A daily digest', 'One mail a day with what concerns you and the most active posts.'],
  ['weekly', 'A weekly digest', 'One mail a week.'],
  ['off', 'Never', 'No mail about activity (account mail such as password resets still comes).'],
];

/** notificationsSection sets how mail about what concerns one comes (PUT /api/me/preferences). */
export function notificationsSection(preferences) {
  const status = statusLine('notifications-status');
  const current = preferences?.email_notifications ?? 'immediately';
  const legend = h('legend', {}, 'Email me about activity');
  const options = MAIL_CHOICES.map(([value, label, hint]) => {
    const id = `mail-${value}`;
    return h('div', { class: 'choice' },
      h('input', { type: 'radio', name: 'email_notifications', id, value, checked: value === current, 'aria-describedby': `${id}-hint` }),
      h('label', { for: id }, label), h('p', { class: 'hint', id: `${id}-hint` }, hint));
  });
  const form = h('form', { id: 'notifications-form', class: 'stack' },
    h('fieldset', {}, legend, options, h('p', { class: 'field-error', 'data-field': 'email_notifications', hidden: true })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Save')), status);
  onSubmit(form, (data) => guarded(status, async () => {
    await api.put('/api/me/preferences', { email_notifications: data.get('email_notifications') });
    said(status, 'Saved.');
  }));
  return h('section', { 'aria-labelledby': 'notifications-heading' }, h('h2', { id: 'notifications-heading' }, 'Notifications'), form);
}

/** sessionsSection lists the signed-in user's sessions, with one ended at a time or all but this one. */
export function sessionsSection(scope) {
  const status = statusLine('sessions-status');
  const list = h('ul', { id: 'session-list', class: 'member-list' });
  const endOthers = h('button', { type: 'button', id: 'end-other-sessions', class: 'secondary' }, 'Sign out everywhere else');
  const show = async () => {
    const { items } = await api.get('/api/sessions', { signal: scope.signal });
    list.replaceChildren(...items.map((s) => h('li', { class: 'member session', 'data-session': s.id },
      h('span', { class: 'session-agent' }, s.user_agent || 'Unknown browser'), ' ',
      h('span', { class: 'hint' }, s.current ? 'this browser · ' : '', 'signed in ', timeEl(s.created_at), ', last used ', timeEl(s.last_used_at)), ' ',
      s.current ? null : h('button', { type: 'button', class: 'link-button', 'aria-label': `Sign out ${s.user_agent || 'that session'}, signed in ${new Date(s.created_at).toLocaleString()}`,
        onclick: () => guarded(status, async () => {
          await api.del(path('api', 'sessions', s.id));
          said(status, 'That session is signed out.');
          await show();
        }).catch(() => {}) }, 'Sign out'))));
    endOthers.hidden = items.every((s) => s.current);
  };
  endOthers.addEventListener('click', () => guarded(status, async () => {
    await api.del('/api/sessions');
    said(status, 'You are signed out everywhere else.');
    await show();
  }).catch(() => {}));
  show().catch(reportError);
  return {
    refresh: () => show().catch(reportError),
    section: h('section', { 'aria-labelledby': 'sessions-heading' }, h('h2', { id: 'sessions-heading' }, 'Sessions'),
      h('p', { class: 'hint' }, 'Where you are signed in.'), list, h('div', { class: 'form-actions' }, endOthers), status),
  };
}
