// Form building blocks: labelled fields with an error slot each, and submission with API errors shown
// beside the field they name.
import { h } from './dom.js';
import { reportError } from './toast.js';

let nextId = 0;

/** errorSlot is the element that shows the error for the field name, found by .field-error[data-field]. */
export function errorSlot(name) {
  return h('p', { class: 'field-error', 'data-field': name, id: `error-${name}-${++nextId}`, hidden: true });
}

/**
 * field is a labelled control with its error slot. control: an element to use (it gets id, name and
 * aria-describedby), or omitted for an <input> with the given attrs (type, autocomplete, ...).
 */
export function field(label, name, { control, ...attrs } = {}) {
  const input = control ?? h('input', { type: 'text', ...attrs });
  const error = errorSlot(name);
  input.id = `field-${name}-${++nextId}`;
  input.name = name;
  input.setAttribute('aria-describedby', error.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, error);
}

// clearErrors empties every error slot of form.
function clearErrors(form) {
  for (const slot of form.querySelectorAll('.field-error')) {
    slot.hidden = true;
    slot.textContent = '';
  }
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
}

/**
 * showError puts err.message beside the field err.field names (every one of err.errors, when the server
 * found several problems at once), or in a toast if form has no such field.
 */
export function showError(form, err) {
  if (err?.errors?.length > 1) {
    for (const problem of [...err.errors].reverse()) showError(form, problem); // the first ends up focused
    return;
  }
  const slot = err?.field && form.querySelector(`.field-error[data-field="${CSS.escape(err.field)}"]`);
  if (!slot) {
    reportError(err);
    return;
  }
  slot.textContent = err.message;
  slot.hidden = false;
  const folded = slot.closest('details');
  if (folded) folded.open = true; // a field folded away unfolds to show its problem
  const control = form.elements.namedItem(err.field);
  const first = control instanceof RadioNodeList ? control[0] : control;
  if (first) {
    first.setAttribute('aria-invalid', 'true');
    first.focus();
  }
}

/**
 * onSubmit runs action(formData) on submit, ignoring further submits until it settles (the form is
 * aria-busy meanwhile); an error it throws is shown with showError.
 */
export function onSubmit(form, action) {
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    clearErrors(form);
    form.setAttribute('aria-busy', 'true');
    try {
      await action(new FormData(form));
    } catch (err) {
      showError(form, err);
    } finally {
      form.setAttribute('aria-busy', 'false');
    }
  });
}
