// A destructive button that asks in place ("Delete? Yes / Cancel") instead of a blocking dialog.
import { h } from '../dom.js';

/** confirmButton returns a button labelled label that runs action once the user confirms. */
export function confirmButton(label, question, action) {
  const trigger = h('button', { type: 'button', class: 'danger' }, label);
  const yes = h('button', { type: 'button', class: 'danger confirm-yes' }, `Yes, ${label.toLowerCase()}`);
  const no = h('button', { type: 'button', class: 'confirm-no' }, 'Cancel');
  const prompt = h('span', { class: 'confirm', role: 'group', 'aria-label': question, hidden: true }, h('span', {}, question), ' ', yes, ' ', no);
  const ask = (asking) => {
    trigger.hidden = asking;
    prompt.hidden = !asking;
    (asking ? no : trigger).focus();
  };
  trigger.addEventListener('click', () => ask(true));
  no.addEventListener('click', () => ask(false));
  yes.addEventListener('click', () => {
    prompt.hidden = true;
    trigger.hidden = false;
    action();
  });
  return h('span', { class: 'confirm-wrap' }, trigger, prompt);
}
