// Writing a post (/new-topic) and editing one (/posts/{id}/edit): title, body and 1 to 5 categories.
import { h, path } from '../dom.js';
import { api } from '../api.js';
import { currentUser } from '../state.js';
import { navigate } from '../router.js';
import { field, errorSlot, onSubmit, showError } from '../forms.js';
import { composer } from '../components/composer.js';
import { keepDraft, clearDraft } from '../drafts.js';

const MAX_CATEGORIES = 5;

function editor(name, editing) {
  return {
    name,
    auth: true,
    async mount({ main, params, scope, setTitle }) {
      const heading = editing ? 'Edit post' : 'New post';
      setTitle(heading);
      const [{ items }, existing] = await Promise.all([
        api.get('/api/categories', { signal: scope.signal }),
        editing ? api.get(path('api', 'posts', params.id), { signal: scope.signal }).then((r) => r.post) : null,
      ]);
      main.append(h('h1', {}, heading));
      if (existing && (existing.deleted || existing.author.id !== currentUser().id)) {
        main.append(h('p', {}, 'Only its author can edit this post.'), h('p', {}, h('a', { href: path('posts', existing.id) }, 'Back to the post')));
        return;
      }

      const chosen = new Set(existing?.categories ?? []);
      const categoriesError = errorSlot('categories');
      // Drafts are kept per place: the new post, or the post being edited.
      const draftKey = editing ? `post.${params.id}` : 'post.new';
      const titleField = field('Title', 'title', { maxlength: '200', required: true, value: existing?.title });
      keepDraft(titleField.querySelector('input'), `${draftKey}.title`);
      const bodyBox = h('textarea', { rows: '12', maxlength: '20000', required: true, value: existing?.body });
      const bodyField = field('Body', 'body', { control: bodyBox });
      const body = composer(bodyBox, { draftKey: `${draftKey}.body` });
      const form = h('form', { id: 'post-form', class: 'stack' },
        titleField, bodyField, body.el,
        h('fieldset', { class: 'field', 'aria-describedby': categoriesError.id },
          h('legend', {}, `Categories (1 to ${MAX_CATEGORIES})`),
          h('div', { class: 'checkboxes' }, items.map((c) => h('label', { class: 'checkbox' },
            h('input', { type: 'checkbox', name: 'categories', value: c.slug, checked: chosen.has(c.slug) }), ' ', c.name))),
          categoriesError),
        h('div', { class: 'form-actions' },
          h('button', { type: 'submit' }, editing ? 'Save' : 'Publish'),
          h('a', { href: existing ? path('posts', existing.id) : '/' }, 'Cancel')));

      onSubmit(form, async (data) => {
        const categories = data.getAll('categories');
        if (categories.length < 1 || categories.length > MAX_CATEGORIES) {
          showError(form, { field: 'categories', message: `Choose between 1 and ${MAX_CATEGORIES} categories.` });
          return;
        }
        const input = { title: data.get('title'), body: data.get('body'), categories };
        const { post } = editing ? await api.patch(path('api', 'posts', params.id), input) : await api.post('/api/posts', input);
        clearDraft(`${draftKey}.title`);
        body.clear();
        navigate(path('posts', post.id));
      });
      main.append(form);
    },
  };
}

export const newPost = editor('new', false);
export const editPost = editor('edit', true);
