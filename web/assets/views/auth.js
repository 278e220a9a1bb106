// Sign in (/signin) and sign up (/signup). Both sign the user in with the session cookie the API sets,
// then go to ?next= (a path of this site) or the feed.
import { h } from '../dom.js';
import { api } from '../api.js';
import { setCurrentUser } from '../state.js';
import { navigate } from '../router.js';
import { field, onSubmit } from '../forms.js';
import { passkeysSupported, reportPasskeyError, signInWithPasskey } from '../passkeys.js';

function nextPath(query) {
  const next = query.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function withNext(href, query) {
  return query.has('next') ? `${href}?next=${encodeURIComponent(nextPath(query))}` : href;
}

export const signin = {
  name: 'signin',
  guest: true,
  mount({ main, query, setTitle }) {
    setTitle('Sign in');
    const form = h('form', { id: 'signin-form', class: 'stack' },
      field('Nickname or email', 'login', { autocomplete: 'username', required: true }),
      field('Password', 'password', { type: 'password', autocomplete: 'current-password', required: true }),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Sign in')));
    onSubmit(form, async (data) => {
      const { user } = await api.post('/api/signin', { login: data.get('login'), password: data.get('password') });
      setCurrentUser(user);
      navigate(nextPath(query), { replace: true });
    });
    const passkey = passkeysSupported() && h('button', {
      type: 'button', id: 'passkey-signin',
      onclick: async () => {
        passkey.disabled = true;
        try {
          const { user } = await signInWithPasskey();
          setCurrentUser(user);
          navigate(nextPath(query), { replace: true });
        } catch (err) {
          reportPasskeyError(err);
        } finally {
          passkey.disabled = false;
        }
      },
    }, 'Sign in with a passkey');
    main.append(h('h1', {}, 'Sign in'), form, passkey && h('div', { class: 'form-actions' }, passkey),
      h('p', {}, 'New here? ', h('a', { href: withNext('/signup', query) }, 'Create an account')));
  },
};

const OPTIONAL = ['first_name', 'last_name', 'gender'];

export const signup = {
  name: 'signup',
  guest: true,
  mount({ main, query, setTitle }) {
    setTitle('Sign up');
    const genders = h('datalist', { id: 'gender-options' }, ['female', 'male', 'non-binary'].map((g) => h('option', { value: g })));
    const form = h('form', { id: 'signup-form', class: 'stack' },
      field('Nickname (3–24 letters, digits, _ . -)', 'nickname', { autocomplete: 'username', required: true, minlength: '3', maxlength: '24' }),
      field('Email', 'email', { type: 'email', autocomplete: 'email', required: true }),
      field('Password (at least 8 characters)', 'password', { type: 'password', autocomplete: 'new-password', required: true, minlength: '8' }),
      // The rest is optional, folded away: a sign-up asks three things.
      h('details', { class: 'more-about-you stack', id: 'more-about-you' },
        h('summary', {}, 'More about you (optional)'),
        field('First name', 'first_name', { autocomplete: 'given-name', maxlength: '64' }),
        field('Last name', 'last_name', { autocomplete: 'family-name', maxlength: '64' }),
        field('Age', 'age', { type: 'number', inputmode: 'numeric', min: '0', max: '150' }),
        field('Gender', 'gender', { list: genders.id, maxlength: '64' }),
        genders),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit' }, 'Sign up')));

    onSubmit(form, async (data) => {
      const body = { nickname: data.get('nickname'), email: data.get('email'), password: data.get('password') };
      for (const key of OPTIONAL) if (data.get(key)) body[key] = data.get(key);
      if (data.get('age')) body.age = Number(data.get('age'));
      const { user } = await api.post('/api/signup', body);
      setCurrentUser(user);
      navigate(nextPath(query), { replace: true });
    });
    main.append(h('h1', {}, 'Sign up'), form,
      h('p', {}, 'Already have an account? ', h('a', { href: withNext('/signin', query) }, 'Sign in')));
  },
};
